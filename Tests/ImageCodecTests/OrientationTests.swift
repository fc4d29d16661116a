import XCTest
@testable import VAEPipeImageCodecs

/// EXIF orientation: an APP1 segment built here, spliced into the quadrant fixtures.
final class OrientationTests: XCTestCase {
    static let red = JPEGCodecTests.red, green = JPEGCodecTests.green
    static let blue = JPEGCodecTests.blue, white = JPEGCodecTests.white

    /// APP1 "Exif\0\0" + a TIFF header and one IFD0 entry: tag 0x0112, SHORT, count 1.
    static func exifSegment(_ orientation: Int, bigEndian: Bool) -> [UInt8] {
        func u16(_ v: Int) -> [UInt8] { bigEndian ? [UInt8(v >> 8), UInt8(v & 255)] : [UInt8(v & 255), UInt8(v >> 8)] }
        func u32(_ v: Int) -> [UInt8] { bigEndian ? u16(v >> 16) + u16(v & 0xFFFF) : u16(v & 0xFFFF) + u16(v >> 16) }
        let tiff = (bigEndian ? Array("MM".utf8) : Array("II".utf8)) + u16(42) + u32(8)
            + u16(1) + u16(0x0112) + u16(3) + u32(1) + u16(orientation) + u16(0) + u32(0)
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        return [0xFF, 0xE1] + [UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 255)] + payload
    }

    static func withOrientation(_ jpeg: [UInt8], _ orientation: Int, bigEndian: Bool = true) -> [UInt8] {
        Array(jpeg.prefix(2)) + exifSegment(orientation, bigEndian: bigEndian) + Array(jpeg.dropFirst(2))
    }

    func testEveryOrientationTurnsTheQuadrantsUpright() throws {
        let (r, g, b, w) = (Self.red, Self.green, Self.blue, Self.white)
        // Top-left, top-right, bottom-left, bottom-right once upright (as Pillow's exif_transpose).
        let expected: [Int: [[UInt8]]] = [
            1: [r, g, b, w], 2: [g, r, w, b], 3: [w, b, g, r], 4: [b, w, r, g],
            5: [r, b, g, w], 6: [b, r, w, g], 7: [w, g, b, r], 8: [g, w, r, b],
        ]
        for (orientation, quadrants) in expected {
            for bigEndian in [true, false] {
                let image = try JPEGCodec.decode(Self.withOrientation(JPEGFixtures.jpegBaseline, orientation, bigEndian: bigEndian))
                for (i, (x, y)) in [(4, 4), (12, 4), (4, 12), (12, 12)].enumerated() {
                    assertPixel(image, x, y, near: quadrants[i], tolerance: 8)
                }
            }
        }
    }

    func testTurnedImagesSwapWidthAndHeightAndScaleForTheUprightSize() throws {
        let turned = Self.withOrientation(JPEGFixtures.jpeg20x12, 6)
        let full = try JPEGCodec.decode(turned)
        XCTAssertEqual([full.width, full.height], [12, 20])
        // Upright 6x10 needs stored 10x6: half scale, not the 1/4 (5x3) a 6-wide minimum would allow unturned.
        let half = try JPEGCodec.decode(turned, minimumSize: (6, 10))
        XCTAssertEqual([half.width, half.height], [6, 10])
        let header = try ImageHeader.parse(turned, complete: true, path: "t.jpg")
        XCTAssertEqual(header.map { [$0.width, $0.height] }, [12, 20])
        XCTAssertEqual(header?.orientation, .rotatedClockwise)
    }

    func testMissingOrMalformedExifMeansUpright() {
        XCTAssertEqual(Orientation.fromExif(ArraySlice(Array("Exif".utf8) + [0, 0])), .up)
        var segment = Self.exifSegment(6, bigEndian: true)
        segment[10 + 4] = 0x58    // "MX": not a byte order
        XCTAssertEqual(Orientation.fromExif(segment[4...]), .up)
        XCTAssertEqual(Orientation.fromExif(Self.exifSegment(9, bigEndian: false)[4...]), .up, "9 is not an orientation")
        XCTAssertEqual(Orientation.fromExif(Self.exifSegment(8, bigEndian: false)[4...]), .rotatedCounterclockwise)
    }

    func testApplyMatchesTheDefinitionOnANonSquareImage() {
        // 3x2, pixel value = 10 * x + y.
        let image = RasterImage(width: 3, height: 2, channels: 1, pixels: [0, 10, 20, 1, 11, 21])
        XCTAssertEqual(Orientation.rotatedClockwise.apply(to: image).pixels, [1, 0, 11, 10, 21, 20])
        XCTAssertEqual(Orientation.rotatedCounterclockwise.apply(to: image).pixels, [20, 21, 10, 11, 0, 1])
        XCTAssertEqual(Orientation.transposed.apply(to: image).pixels, [0, 1, 10, 11, 20, 21])
        XCTAssertEqual(Orientation.mirrored.apply(to: image).pixels, [20, 10, 0, 21, 11, 1])
    }
}

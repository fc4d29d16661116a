import XCTest
@testable import VAEPipeImageCodecs

final class JPEGCodecTests: XCTestCase {
    static let red: [UInt8] = [255, 0, 0], green: [UInt8] = [0, 255, 0]
    static let blue: [UInt8] = [0, 0, 255], white: [UInt8] = [255, 255, 255]

    /// Samples each quadrant away from its edges, where ringing lives.
    func assertQuadrants(_ image: RasterImage, tolerance: Int, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(image.channels, 3, file: file, line: line)
        let (w, h) = (image.width, image.height)
        let centres = [(w / 4, h / 4, Self.red), (3 * w / 4, h / 4, Self.green),
                       (w / 4, 3 * h / 4, Self.blue), (3 * w / 4, 3 * h / 4, Self.white)]
        for (x, y, colour) in centres {
            assertPixel(image, x, y, near: colour, tolerance: tolerance, file: file, line: line)
        }
    }

    func testBaselineJPEGDecodesQuadrantsWithinTolerance() throws {
        let image = try JPEGCodec.decode(JPEGFixtures.jpegBaseline)
        XCTAssertEqual([image.width, image.height], [16, 16])
        assertQuadrants(image, tolerance: 8)
    }

    func testProgressiveJPEGDecodesLikeBaseline() throws {
        let progressive = try JPEGCodec.decode(JPEGFixtures.jpegProgressive)
        XCTAssertEqual([progressive.width, progressive.height], [16, 16])
        assertQuadrants(progressive, tolerance: 8)
    }

    func testGrayscaleJPEGHasOneChannel() throws {
        let image = try JPEGCodec.decode(JPEGFixtures.jpegGray)
        XCTAssertEqual([image.width, image.height, image.channels], [16, 16, 1])
        assertPixel(image, 3, 8, near: [50], tolerance: 4)
        assertPixel(image, 12, 8, near: [200], tolerance: 4)
    }

    func testAdobeCMYKJPEGDecodesCloseToItsRGB() throws {
        let image = try JPEGCodec.decode(JPEGFixtures.jpegCMYK)
        XCTAssertEqual([image.width, image.height], [16, 16])
        XCTAssertEqual(image.pixels.count, 16 * 16 * 3)
        assertQuadrants(image, tolerance: 8)
    }

    func testCMYKConversionHonoursAdobeInversion() {
        // Cyan ink at full strength, no black: stored as (0,255,255,255) by Adobe, (255,0,0,0) otherwise.
        var adobe: [UInt8] = [0, 255, 255, 255]
        JPEGCodec.cmykToRGB(&adobe, inverted: true)
        var plain: [UInt8] = [255, 0, 0, 0]
        JPEGCodec.cmykToRGB(&plain, inverted: false)
        XCTAssertEqual(adobe, [0, 255, 255])
        XCTAssertEqual(plain, [0, 255, 255])
    }

    func testMinimumSizePicksTheLargestDCTScaleThatStillCoversIt() throws {
        let cases: [((Int, Int), Int)] = [((1, 1), 2), ((2, 2), 2), ((3, 2), 4), ((4, 4), 4), ((5, 5), 8),
                                          ((8, 8), 8), ((9, 9), 16), ((16, 16), 16), ((17, 17), 16)]
        for ((minW, minH), expected) in cases {
            let image = try JPEGCodec.decode(JPEGFixtures.jpegBaseline, minimumSize: (minW, minH))
            XCTAssertEqual([image.width, image.height], [expected, expected], "minimum \(minW)x\(minH)")
            XCTAssertEqual(image.pixels.count, expected * expected * 3)
        }
    }

    func testEighthScaleKeepsQuadrantColours() throws {
        let image = try JPEGCodec.decode(JPEGFixtures.jpegBaseline, minimumSize: (2, 2))
        XCTAssertEqual(image.pixel(0, 0).count, 3)
        assertPixel(image, 0, 0, near: Self.red, tolerance: 8)
        assertPixel(image, 1, 0, near: Self.green, tolerance: 8)
        assertPixel(image, 0, 1, near: Self.blue, tolerance: 8)
        assertPixel(image, 1, 1, near: Self.white, tolerance: 8)
    }

    func testScaledSizeRoundsUpLikeLibjpeg() throws {
        let image = try JPEGCodec.decode(JPEGFixtures.jpeg20x12, minimumSize: (1, 1))
        XCTAssertEqual([image.width, image.height], [3, 2])
        let half = try JPEGCodec.decode(JPEGFixtures.jpeg20x12, minimumSize: (10, 6))
        XCTAssertEqual([half.width, half.height], [10, 6])
        let full = try JPEGCodec.decode(JPEGFixtures.jpeg20x12, minimumSize: (11, 1))
        XCTAssertEqual([full.width, full.height], [20, 12])
    }

    func testTruncatedJPEGIsReportedNotFatal() {
        for fixture in [JPEGFixtures.jpegBaseline, JPEGFixtures.jpegProgressive] {
            // Every cut after the magic bytes, down to a missing final byte of EOI.
            for length in 3..<fixture.count {
                assertCodecError(try JPEGCodec.decode(Array(fixture.prefix(length))), reasonContains: "JPEG data")
            }
        }
        let bytes = JPEGFixtures.jpegBaseline
        assertCodecError(try JPEGCodec.decode(Array(bytes.prefix(bytes.count - 100)), path: "cut.jpg"),
                         reasonContains: "truncated JPEG data (libjpeg: Premature end of JPEG file)")
    }

    func testTruncatedJPEGIsReportedEvenWhenDownscaling() {
        let bytes = Array(JPEGFixtures.jpegProgressive.dropLast(60))
        assertCodecError(try JPEGCodec.decode(bytes, minimumSize: (2, 2)), reasonContains: "truncated JPEG data")
    }

    func testPixelLimitAppliesToTheFullSizeEvenWhenDownscaling() {
        assertCodecError(try JPEGCodec.decode(JPEGFixtures.jpegBaseline, maxPixels: 255, minimumSize: (2, 2)),
                         reasonContains: "image is 16x16 (256 pixels), over the 255 pixel limit")
    }

    func testEmptyGarbageAndCorruptBytesAreReported() {
        assertCodecError(try JPEGCodec.decode([]), reasonContains: "empty file")
        assertCodecError(try JPEGCodec.decode(PNGFixtures.gray2bit), reasonContains: "not a JPEG file")
        assertCodecError(try JPEGCodec.decode([0xFF, 0xD8, 0xFF] + Array(repeating: 0x11, count: 64)),
                         reasonContains: "JPEG data (libjpeg: ")
    }

    func testConcurrentDecodesKeepTheirErrorsApart() {
        // The shim's setjmp state is per call; image folders are decoded on every core at once.
        let truncated = Array(JPEGFixtures.jpegBaseline.prefix(300))
        let outcomes = Outcomes(count: 64)
        DispatchQueue.concurrentPerform(iterations: 64) { i in
            let ok = (try? JPEGCodec.decode(i.isMultiple(of: 2) ? JPEGFixtures.jpegBaseline : truncated)) != nil
            outcomes.set(i, ok)
        }
        XCTAssertEqual(outcomes.values, (0..<64).map { $0.isMultiple(of: 2) })
    }
}

/// Results written from concurrentPerform's threads.
private final class Outcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Bool]
    init(count: Int) { storage = Array(repeating: false, count: count) }
    func set(_ i: Int, _ value: Bool) { lock.withLock { storage[i] = value } }
    var values: [Bool] { lock.withLock { storage } }
}

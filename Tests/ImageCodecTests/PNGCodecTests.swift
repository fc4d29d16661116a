import XCTest
@testable import VAEPipeImageCodecs

final class PNGCodecTests: XCTestCase {
    func testRoundTripKeepsPixelsForEveryChannelCount() throws {
        for channels in 1...4 {
            let (width, height) = (7, 5)   // odd sizes catch stride mistakes
            let pixels = (0..<width * height * channels).map { UInt8(truncatingIfNeeded: $0 * 37 + channels) }
            let image = RasterImage(width: width, height: height, channels: channels, pixels: pixels)
            let decoded = try PNGCodec.decode(PNGCodec.encode(image))
            XCTAssertEqual(decoded, image, "\(channels) channels")
        }
    }

    func testPaletteExpandsToRGB() throws {
        let image = try PNGCodec.decode(PNGFixtures.palette2bit)
        XCTAssertEqual([image.width, image.height, image.channels], [4, 2, 3])
        let (r, g, b, w): ([UInt8], [UInt8], [UInt8], [UInt8]) = ([255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255])
        XCTAssertEqual(image.pixels, r + g + b + w + w + b + g + r)
    }

    func testPaletteTransparencyBecomesAlphaChannel() throws {
        let image = try PNGCodec.decode(PNGFixtures.paletteTRNS)
        XCTAssertEqual(image.channels, 4)
        XCTAssertEqual(image.pixels, [255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 0, 9, 9, 9, 255])
    }

    func testLowBitDepthGrayStretchesToFullRange() throws {
        let oneBit = try PNGCodec.decode(PNGFixtures.gray1bit)
        XCTAssertEqual([oneBit.width, oneBit.height, oneBit.channels], [8, 2, 1])
        XCTAssertEqual(oneBit.pixels, [1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 1].map { $0 * 255 })
        XCTAssertEqual(try PNGCodec.decode(PNGFixtures.gray2bit).pixels, [0, 85, 170, 255])
        XCTAssertEqual(try PNGCodec.decode(PNGFixtures.gray4bit).pixels, (0..<16).map { UInt8($0 * 17) })
    }

    func testSixteenBitGrayScalesToEightBit() throws {
        let image = try PNGCodec.decode(PNGFixtures.gray16bit)
        XCTAssertEqual(image.channels, 1)
        XCTAssertEqual(image.pixels, [0, 128, 255])
    }

    func testSixteenBitRGBScalesToEightBit() throws {
        let image = try PNGCodec.decode(PNGFixtures.rgb16bit)
        XCTAssertEqual(image.channels, 3)
        XCTAssertEqual(image.pixels, [255, 0, 128, 0, 255, 255])
    }

    func testGrayTransparencyKeyBecomesGrayAlpha() throws {
        let image = try PNGCodec.decode(PNGFixtures.grayTRNS)
        XCTAssertEqual(image.channels, 2)
        XCTAssertEqual(image.pixels, [0, 255, 50, 0])
    }

    func testGrayAlphaKeepsTwoChannels() throws {
        let image = try PNGCodec.decode(PNGFixtures.grayAlpha)
        XCTAssertEqual(image, RasterImage(width: 2, height: 1, channels: 2, pixels: [10, 255, 200, 0]))
    }

    func testAdam7InterlacedImageIsDeinterlaced() throws {
        let image = try PNGCodec.decode(PNGFixtures.adam7RGB)
        XCTAssertEqual([image.width, image.height, image.channels], [8, 8, 3])
        for y in 0..<8 {
            for x in 0..<8 {
                XCTAssertEqual(image.pixel(x, y), [UInt8(32 * x), UInt8(32 * y), UInt8(16 * (x + y))], "(\(x),\(y))")
            }
        }
    }

    func testTruncatedPNGIsReportedNotFatal() throws {
        let bytes = try PNGCodec.encode(RasterImage(width: 6, height: 4, channels: 3, pixels: Array(repeating: 90, count: 72)))
        // Every cut past the signature, down to a missing last byte of the IEND CRC.
        for length in 8..<bytes.count {
            assertCodecError(try PNGCodec.decode(Array(bytes.prefix(length))), reasonContains: "PNG data")
        }
        let error = assertCodecError(try PNGCodec.decode(Array(bytes.prefix(bytes.count / 2)), path: "cut.png"),
                                     reasonContains: "truncated PNG data (libpng: ")
        XCTAssertEqual(error?.path, "cut.png")
    }

    func testBadCRCIsReportedWithLibpngsReason() {
        var bytes = PNGFixtures.gray2bit
        bytes[20] ^= 0xFF   // inside IHDR, so its CRC no longer matches
        assertCodecError(try PNGCodec.decode(bytes), reasonContains: "corrupt PNG data (libpng: IHDR: CRC error)")
    }

    func testHugeHeaderIsRefusedBeforeAllocating() {
        // 100000x100000 RGB would be 30 GB; only the header is ever read.
        assertCodecError(try PNGCodec.decode(PNGFixtures.hugeHeader, path: "bomb.png"),
                         reasonContains: "image is 100000x100000 (10000 megapixels), over the 64 megapixel limit")
    }

    func testPixelLimitIsInclusive() throws {
        let image = RasterImage(width: 10, height: 10, channels: 1, pixels: Array(repeating: 0, count: 100))
        let bytes = try PNGCodec.encode(image)
        XCTAssertEqual(try PNGCodec.decode(bytes, maxPixels: 100), image)
        assertCodecError(try PNGCodec.decode(bytes, maxPixels: 99), reasonContains: "(100 pixels), over the 99 pixel limit")
    }

    func testEmptyAndGarbageBytesAreReported() {
        assertCodecError(try PNGCodec.decode([]), reasonContains: "empty file")
        assertCodecError(try PNGCodec.decode(Array("not an image at all".utf8)), reasonContains: "not a PNG file")
        assertCodecError(try PNGCodec.decode(Array(PNGFixtures.gray2bit.prefix(8)) + Array(repeating: 0xAB, count: 64)),
                         reasonContains: "corrupt PNG data (libpng: ")
    }

    func testEncodeRejectsPixelsThatDoNotMatchTheSize() {
        let short = RasterImage(width: 4, height: 4, channels: 3, pixels: Array(repeating: 0, count: 47))
        assertCodecError(try PNGCodec.encode(short), reasonContains: "cannot encode a 4x4 image with 3 channels from 47 bytes")
        let fiveChannels = RasterImage(width: 1, height: 1, channels: 5, pixels: Array(repeating: 0, count: 5))
        assertCodecError(try PNGCodec.encode(fiveChannels), reasonContains: "5 channels")
    }

    func testWriteReplacesTheFileAndLeavesNoTemporaryBehind() throws {
        let directory = try makeTemporaryDirectory()
        let path = directory + "/out.png"
        let first = RasterImage(width: 2, height: 2, channels: 1, pixels: [1, 2, 3, 4])
        let second = RasterImage(width: 3, height: 1, channels: 3, pixels: Array(1...9))
        try PNGCodec.write(first, to: path)
        try PNGCodec.write(second, to: path)
        XCTAssertEqual(try ImageDecoder.decodeFile(atPath: path), second)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["out.png"])
    }

    func testWriteIntoMissingDirectoryNamesThePath() throws {
        let path = try makeTemporaryDirectory() + "/no/such/dir/out.png"
        let error = assertCodecError(try PNGCodec.write(RasterImage(width: 1, height: 1, channels: 1, pixels: [0]), to: path),
                                     reasonContains: "no such file or directory")
        XCTAssertEqual(error?.path, path)
    }
}

extension XCTestCase {
    /// A fresh directory removed when the test ends.
    func makeTemporaryDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ImageCodecTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }
}

import XCTest
@testable import VAEPipeImageCodecs

/// The headers read in Swift must agree with what libpng and libjpeg then decode.
final class ImageHeaderTests: XCTestCase {
    static let pngs: [(String, [UInt8], ColourModel)] = [
        ("palette2bit", PNGFixtures.palette2bit, .palette), ("paletteTRNS", PNGFixtures.paletteTRNS, .paletteAlpha),
        ("gray1bit", PNGFixtures.gray1bit, .gray), ("gray2bit", PNGFixtures.gray2bit, .gray),
        ("gray4bit", PNGFixtures.gray4bit, .gray), ("gray16bit", PNGFixtures.gray16bit, .gray),
        ("grayTRNS", PNGFixtures.grayTRNS, .grayAlpha), ("rgb16bit", PNGFixtures.rgb16bit, .rgb),
        ("grayAlpha", PNGFixtures.grayAlpha, .grayAlpha), ("adam7RGB", PNGFixtures.adam7RGB, .rgb),
    ]

    func testPNGHeadersPredictTheDecodedChannelsForEveryColourType() throws {
        for (name, bytes, colour) in Self.pngs {
            let header = try XCTUnwrap(try PNGHeader.parse(bytes, complete: true, path: name), name)
            let image = try PNGCodec.decode(bytes)
            XCTAssertEqual(header.channels, image.channels, name)
            XCTAssertEqual([header.width, header.height], [image.width, image.height], name)
            XCTAssertEqual(header.colour, colour, name)
        }
        XCTAssertEqual(try PNGHeader.parse(PNGFixtures.adam7RGB, complete: true, path: "")?.interlaced, true)
        XCTAssertEqual(try PNGHeader.parse(PNGFixtures.gray16bit, complete: true, path: "")?.bitDepth, 16)
    }

    func testJPEGHeadersNameTheirKind() throws {
        let cases: [([UInt8], ColourModel, Bool)] = [(JPEGFixtures.jpegBaseline, .rgb, false), (JPEGFixtures.jpegProgressive, .rgb, true),
                                                     (JPEGFixtures.jpegGray, .gray, false), (JPEGFixtures.jpegCMYK, .cmyk, false)]
        for (bytes, colour, progressive) in cases {
            let h = try XCTUnwrap(try ImageHeader.parse(bytes, complete: true, path: "x.jpg"))
            XCTAssertEqual(h.colour, colour); XCTAssertEqual(h.progressive, progressive)
            XCTAssertEqual([h.width, h.height], [16, 16])
        }
    }

    func testAPrefixThatEndsEarlyAsksForMoreAndAWholeFileThatEndsEarlyIsTruncated() throws {
        let cut = Array(JPEGFixtures.jpegBaseline.prefix(100))
        XCTAssertNil(try ImageHeader.parse(cut, complete: false, path: "cut.jpg"))
        assertCodecError(try ImageHeader.parse(cut, complete: true, path: "cut.jpg"), reasonContains: "truncated JPEG data")
        let cutPNG = Array(PNGFixtures.paletteTRNS.prefix(40))
        XCTAssertNil(try ImageHeader.parse(cutPNG, complete: false, path: "cut.png"))
        assertCodecError(try ImageHeader.parse(cutPNG, complete: true, path: "cut.png"), reasonContains: "truncated PNG data")
    }

    func testHeaderReadRefusesABombWithoutDecoding() throws {
        let path = try makeTemporaryDirectory() + "/bomb.png"
        try Data(PNGFixtures.hugeHeader).write(to: URL(fileURLWithPath: path))
        assertCodecError(try ImageHeader.read(atPath: path),
                         reasonContains: "image is 100000x100000 (10000 megapixels), over the 64 megapixel limit")
    }

    func testExifBiggerThanTheFirstReadIsFollowedToTheFrame() throws {
        // A 100 KB APP2 segment before the frame: the header is past the first 64 KB read.
        var padding: [UInt8] = []
        for _ in 0..<2 { padding += [0xFF, 0xE2, 0xFF, 0xFF] + [UInt8](repeating: 0x20, count: 0xFFFD) }
        let bytes = Array(JPEGFixtures.jpegBaseline.prefix(2)) + padding + Array(JPEGFixtures.jpegBaseline.dropFirst(2))
        let path = try makeTemporaryDirectory() + "/padded.jpg"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let h = try ImageHeader.read(atPath: path)
        XCTAssertEqual([h.width, h.height], [16, 16])
    }

    func testFilesThatAreNotImagesSayWhatTheyAre() throws {
        let dir = try makeTemporaryDirectory()
        let cases: [(String, [UInt8], String)] = [
            ("notes.png", Array("hello\nworld\n".utf8), "not a PNG or JPEG file: named .png but it holds text"),
            ("anim.gif", Array("GIF89a".utf8) + [0, 1, 2], "not a PNG or JPEG file: named .gif but a GIF image (vaepipe reads PNG and JPEG)"),
            ("blob", [0, 1, 2, 3, 4], "not a PNG or JPEG file: it starts with bytes 00 01 02 03"),
        ]
        for (name, bytes, reason) in cases {
            try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name))
            let error = assertCodecError(try ImageHeader.read(atPath: dir + "/" + name), reasonContains: reason)
            XCTAssertEqual(error?.reason, reason)
        }
    }
}

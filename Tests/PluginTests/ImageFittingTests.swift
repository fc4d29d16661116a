@testable import VAEPipeAdapters
import VAEPipeCore
import VAEPipeImageCodecs
import XCTest

/// Known pixels through channel conversion and the three resize modes.
final class ImageFittingTests: XCTestCase {
    func fitted(_ image: RasterImage, width: Int, height: Int, channels: Int, mode: ResizeMode = .fill,
                background: RGBColor = .white) -> [UInt8] {
        var out = [UInt8](repeating: 7, count: width * height * channels)
        out.withUnsafeMutableBufferPointer {
            ImageFitting.render(image, into: $0.baseAddress!, shape: ImageShape(height: height, width: width, channels: channels),
                                mode: mode, background: background)
        }
        return out
    }

    /// 2x1 RGBA: a fully transparent black pixel, then an opaque (10, 20, 30).
    let halfTransparent = RasterImage(width: 2, height: 1, channels: 4, pixels: [0, 0, 0, 0, 10, 20, 30, 255])

    func testTransparentPixelsTakeTheBackgroundColour() {
        XCTAssertEqual(fitted(halfTransparent, width: 2, height: 1, channels: 3), [255, 255, 255, 10, 20, 30])
        XCTAssertEqual(fitted(halfTransparent, width: 2, height: 1, channels: 3, background: .black), [0, 0, 0, 10, 20, 30])
        XCTAssertEqual(fitted(halfTransparent, width: 2, height: 1, channels: 3, background: RGBColor(parsing: "#ff8000")!),
                       [255, 128, 0, 10, 20, 30])
    }

    func testHalfAlphaBlendsWithTheBackground() {
        let image = RasterImage(width: 1, height: 1, channels: 2, pixels: [0, 128])
        XCTAssertEqual(fitted(image, width: 1, height: 1, channels: 1), [127])
        // Gray+alpha over a coloured background becomes colour.
        XCTAssertEqual(fitted(image, width: 1, height: 1, channels: 3, background: RGBColor(parsing: "red")!), [127, 0, 0])
    }

    func testChannelsFourKeepsAlpha() {
        XCTAssertEqual(fitted(halfTransparent, width: 2, height: 1, channels: 4), [0, 0, 0, 0, 10, 20, 30, 255])
        let gray = RasterImage(width: 1, height: 1, channels: 1, pixels: [90])
        XCTAssertEqual(fitted(gray, width: 1, height: 1, channels: 4), [90, 90, 90, 255])
    }

    func testChannelsOneTurnsColourIntoLuma() {
        let rgb = RasterImage(width: 3, height: 1, channels: 3, pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255])
        XCTAssertEqual(fitted(rgb, width: 3, height: 1, channels: 1, mode: .stretch), [76, 150, 29])
    }

    func testGrayImagesWidenToRGB() {
        let gray = RasterImage(width: 2, height: 2, channels: 1, pixels: [0, 100, 200, 50])
        XCTAssertEqual(fitted(gray, width: 2, height: 2, channels: 3), [0, 0, 0, 100, 100, 100, 200, 200, 200, 50, 50, 50])
    }

    func testFillCropsTheCentreOfWideImages() {
        // 30x10: left third black, middle white, right third black -> the 10x10 centre is all white.
        let src = RasterImage(width: 30, height: 10, channels: 1, pixels: (0..<300).map { (10..<20).contains($0 % 30) ? 255 : 0 })
        XCTAssertEqual(fitted(src, width: 10, height: 10, channels: 1), [UInt8](repeating: 255, count: 100))
    }

    func testFitLetterboxesOntoTheBackground() {
        // 4x2 white onto 4x4 black: rows 0 and 3 are the border, rows 1 and 2 the image.
        let src = RasterImage(width: 4, height: 2, channels: 1, pixels: [UInt8](repeating: 255, count: 8))
        let out = fitted(src, width: 4, height: 4, channels: 1, mode: .fit, background: .black)
        XCTAssertEqual(out, [UInt8](repeating: 0, count: 4) + [UInt8](repeating: 255, count: 8) + [UInt8](repeating: 0, count: 4))
        // Kept alpha: the border is transparent.
        let rgba = fitted(src, width: 4, height: 4, channels: 4, mode: .fit)
        XCTAssertEqual(Array(rgba[0..<4]), [255, 255, 255, 0])
        XCTAssertEqual(Array(rgba[16..<20]), [255, 255, 255, 255])
    }

    func testStretchIgnoresTheAspectRatio() {
        // 4x1 stretched to 4x4: every row is the source row (fill would crop a blown-up middle).
        let src = RasterImage(width: 4, height: 1, channels: 1, pixels: [0, 0, 255, 255])
        XCTAssertEqual(fitted(src, width: 4, height: 4, channels: 1, mode: .stretch), Array([[UInt8]](repeating: [0, 0, 255, 255], count: 4).joined()))
        XCTAssertNotEqual(fitted(src, width: 4, height: 4, channels: 1, mode: .fill), Array([[UInt8]](repeating: [0, 0, 255, 255], count: 4).joined()))
    }

    func testNonSquareTargetsAreWidthByHeight() {
        let src = RasterImage(width: 8, height: 8, channels: 1, pixels: (0..<64).map { UInt8($0 / 8 * 30) })
        let out = fitted(src, width: 4, height: 2, channels: 1)
        XCTAssertEqual(out.count, 8)
        // fill: scaled to 4x4, the centre rows kept: rows 1 and 2 of the scaled image.
        XCTAssertEqual(out[0], out[3]); XCTAssertLessThan(out[0], out[4])
    }

    func testResizeAveragesInsteadOfAliasing() {
        // A 1-pixel checkerboard shrunk 8x must come out flat gray, not black or white.
        let side = 64
        let src = RasterImage(width: side, height: side, channels: 1,
                              pixels: (0..<(side * side)).map { UInt8(((($0 % side) + ($0 / side)) % 2) * 255) })
        for v in fitted(src, width: 8, height: 8, channels: 1) { XCTAssertEqual(Double(v), 127.5, accuracy: 3) }
    }

    func testSameSizeIsTheIdentity() {
        let pixels = (0..<(5 * 3 * 3)).map { UInt8($0 * 5) }
        let src = RasterImage(width: 5, height: 3, channels: 3, pixels: pixels)
        XCTAssertEqual(fitted(src, width: 5, height: 3, channels: 3), pixels)
    }

    func testMinimumSourceCoversTheScaledImage() {
        // fill 64x64 from 200x100: the shorter side must stay at least 64, the other 128.
        XCTAssertTrue(Resample.minimumSource(width: 200, height: 100, to: (64, 64), mode: .fill) == (128, 64))
        XCTAssertTrue(Resample.minimumSource(width: 200, height: 100, to: (64, 64), mode: .fit) == (64, 32))
        XCTAssertTrue(Resample.minimumSource(width: 200, height: 100, to: (64, 48), mode: .stretch) == (64, 48))
    }

    func testBackgroundNamesAndHexParse() {
        XCTAssertEqual(RGBColor(parsing: "White"), .white)
        XCTAssertEqual(RGBColor(parsing: "#000"), .black)
        XCTAssertEqual(RGBColor(parsing: "#1a2B3c"), RGBColor(red: 0x1A, green: 0x2B, blue: 0x3C))
        XCTAssertNil(RGBColor(parsing: "#12345"))
        XCTAssertNil(RGBColor(parsing: "mauve"))
        XCTAssertEqual(RGBColor(parsing: "#808080")?.description, "gray")
    }
}

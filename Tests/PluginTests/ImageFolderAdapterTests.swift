import Foundation
import VAEPipeBuiltinPlugins
@testable import VAEPipeAdapters
import VAEPipeImageCodecs
import VAEPipeTestSupport
import XCTest

final class ImageFolderAdapterTests: XCTestCase {
    var mixed: String { Fixtures.samples + "/mixed-folder" }

    func testMixedFolderTrainsOnTheGoodFilesAndReportsTheRest() throws {
        let d = try ImageFolderAdapter.load(path: mixed, options: DatasetOptions(size: 16))
        // 4 PNGs in shapes/, 3 JPEGs and 1 PNG-named-.jpg in more/: 8 good images.
        XCTAssertEqual(d.train.count, 8)
        XCTAssertEqual(d.shape, ImageShape(height: 16, width: 16, channels: 3))
        let skipped = Dictionary(uniqueKeysWithValues: d.skipped.map { (($0.path as NSString).lastPathComponent, $0.reason) })
        XCTAssertEqual(Set(skipped.keys), ["truncated.png", "garbage.jpg", "empty.png"])
        XCTAssertTrue(skipped["empty.png"]!.contains("empty"), skipped["empty.png"]!)
        XCTAssertFalse(d.skipped.contains { $0.path.hasSuffix("README.txt") }, "non-image files are ignored, not skipped")
    }

    func testSubfoldersBecomeLabels() throws {
        let dir = Fixtures.temporaryDirectory()
        for (i, cls) in ["cat", "dog"].enumerated() {
            try FileManager.default.createDirectory(atPath: "\(dir)/\(cls)", withIntermediateDirectories: true)
            for j in 0..<2 {
                let img = RasterImage(width: 4, height: 4, channels: 1, pixels: [UInt8](repeating: UInt8(50 * (i + j)), count: 16))
                try PNGCodec.write(img, to: "\(dir)/\(cls)/\(j).png")
            }
        }
        let d = try ImageFolderAdapter.load(path: dir, options: DatasetOptions(size: 4))
        XCTAssertEqual(d.classNames, ["cat", "dog"])
        XCTAssertEqual(d.train.labels, [0, 0, 1, 1])
        XCTAssertEqual(d.shape.channels, 1)
        XCTAssertEqual(Array(d.train.pixels[16..<20]), [50, 50, 50, 50])
    }

    func testAlphaIsCompositedOverWhite() throws {
        let dir = Fixtures.temporaryDirectory()
        // A row of fully transparent black above a row of opaque black.
        let img = RasterImage(width: 2, height: 2, channels: 4, pixels: [0, 0, 0, 0, 0, 0, 0, 0] + [0, 0, 0, 255, 0, 0, 0, 255])
        try PNGCodec.write(img, to: dir + "/a.png")
        let (pixels, channels) = ImageFolderAdapter.normalise(try ImageDecoder.decodeFile(atPath: dir + "/a.png"), size: 1)
        XCTAssertEqual(channels, 3)
        XCTAssertEqual(pixels.count, 3)
        // Shrunk to 1x1, white (the composited transparent row) and black average to mid-gray.
        XCTAssertEqual(Double(pixels[0]), 127.5, accuracy: 2)
    }

    func testResizeAveragesInsteadOfAliasing() {
        // A 1-pixel checkerboard shrunk 8x must come out flat gray, not black or white.
        let side = 64
        let src = (0..<(side * side)).map { UInt8(((($0 % side) + ($0 / side)) % 2) * 255) }
        let out = src.withUnsafeBufferPointer { Resample.resizeAndCenterCrop($0, width: side, height: side, channels: 1, size: 8) }
        for v in out { XCTAssertEqual(Double(v), 127.5, accuracy: 3) }
    }

    func testResizeCropsTheCenterOfWideImages() {
        // 30x10: left third black, middle white, right third black -> cropped 10x10 is all white.
        let src = (0..<300).map { i -> UInt8 in (10..<20).contains(i % 30) ? 255 : 0 }
        let out = src.withUnsafeBufferPointer { Resample.resizeAndCenterCrop($0, width: 30, height: 10, channels: 1, size: 10) }
        XCTAssertEqual(out, [UInt8](repeating: 255, count: 100))
    }

    func testFolderWithOnlyBrokenFilesFailsClearly() {
        let dir = Fixtures.temporaryDirectory()
        _ = FileManager.default.createFile(atPath: dir + "/a.png", contents: Data([0x89, 0x50, 0x4E, 0x47]))
        XCTAssertThrowsError(try ImageFolderAdapter.load(path: dir, options: DatasetOptions())) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("no usable images") && text.contains("a.png"), text)
        }
    }

    func testEmptyFolderFailsClearly() {
        let dir = Fixtures.temporaryDirectory()
        XCTAssertThrowsError(try ImageFolderAdapter.load(path: dir, options: DatasetOptions())) { error in
            XCTAssertEqual("\(error)", "\(dir): no PNG or JPEG images found")
        }
    }
}

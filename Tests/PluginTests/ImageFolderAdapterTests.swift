import Foundation
import VAEPipeBuiltinPlugins
@testable import VAEPipeAdapters
import VAEPipeImageCodecs
import VAEPipeTestSupport
import XCTest

final class ImageFolderAdapterTests: XCTestCase {
    var mixed: String { Fixtures.samples + "/mixed-folder" }

    func names(_ skipped: [SkippedFile]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: skipped.map { (($0.path as NSString).lastPathComponent, $0.reason) })
    }

    func testMixedFolderTrainsOnTheGoodFilesAndReportsTheRest() throws {
        let d = try ImageFolderAdapter.load(path: mixed, options: DatasetOptions(size: 16))
        // 4 PNGs in shapes/, 3 JPEGs and 1 PNG-named-.jpg in more/: 8 good images.
        XCTAssertEqual(d.train.count, 8)
        XCTAssertNil(d.train.streamed, "8 small images fit the default cache")
        XCTAssertEqual(d.shape, ImageShape(height: 16, width: 16, channels: 3))
        let skipped = names(d.skipped)
        XCTAssertEqual(Set(skipped.keys), ["truncated.png", "garbage.jpg", "empty.png"])
        XCTAssertTrue(skipped["empty.png"]!.contains("empty"), skipped["empty.png"]!)
        XCTAssertFalse(d.skipped.contains { $0.path.hasSuffix("README.txt") }, "non-image files are ignored, not skipped")
    }

    func testStreamedMixedFolderFindsBrokenDataOnFirstDecode() throws {
        var options = DatasetOptions(size: 16)
        options.cache = .none
        let d = try ImageFolderAdapter.load(path: mixed, options: options)
        XCTAssertNotNil(d.train.streamed)
        // The header pass catches the empty and the garbage file; the truncated PNG has a good
        // header and only fails when its pixels are decoded.
        XCTAssertEqual(Set(names(d.skipped).keys), ["garbage.jpg", "empty.png"])
        XCTAssertEqual(d.train.count, 9)
        let all = try d.train.allPixels()
        XCTAssertEqual(all.count, 9 * 16 * 16 * 3)
        let late = names(d.skippedSoFar)
        XCTAssertEqual(Set(late.keys), ["truncated.png", "garbage.jpg", "empty.png"])
        XCTAssertTrue(late["truncated.png"]!.contains("truncated PNG data"), late["truncated.png"]!)
    }

    func testCachedAndStreamedSetsHoldTheSamePixels() throws {
        var options = DatasetOptions(width: 12, height: 8)
        let cached = try ImageFolderAdapter.load(path: mixed + "/shapes", options: options)
        options.cache = .none
        let streamed = try ImageFolderAdapter.load(path: mixed + "/shapes", options: options)
        XCTAssertEqual(cached.shape, ImageShape(height: 8, width: 12, channels: 3))
        XCTAssertEqual(try cached.train.allPixels(), try streamed.train.allPixels())
    }

    func testSetsBiggerThanTheCacheLimitAreStreamed() throws {
        var options = DatasetOptions(size: 16)
        options.cacheLimit = 16 * 16 * 3 * 4   // room for 4 of the 9 images
        let d = try ImageFolderAdapter.load(path: mixed, options: options)
        XCTAssertNotNil(d.train.streamed)
        XCTAssertTrue(d.notes.joined().contains("--cache-limit"), d.notes.joined())
    }

    func testSubfoldersBecomeLabels() throws {
        let dir = Fixtures.temporaryDirectory()
        for (i, cls) in ["cat", "dog"].enumerated() {
            for j in 0..<2 { FolderFixtures.write(FolderFixtures.flatPNG(UInt8(50 * (i + j))), to: "\(dir)/\(cls)/\(j).png") }
        }
        let d = try ImageFolderAdapter.load(path: dir, options: DatasetOptions(size: 4))
        XCTAssertEqual(d.classNames, ["cat", "dog"])
        XCTAssertEqual(d.train.labels, [0, 0, 1, 1])
        XCTAssertEqual(d.shape.channels, 1)
        XCTAssertEqual(Array(try d.train.pixels(1).prefix(4)), [50, 50, 50, 50])
    }

    func testWalkIsRecursiveSortedAndSkipsHiddenEntries() throws {
        let dir = Fixtures.temporaryDirectory()
        for name in ["b/2.png", "b/10.png", "a/z/1.png", "a/0.png", ".hidden/3.png", "a/.4.png", "c.png"] {
            FolderFixtures.write(FolderFixtures.flatPNG(9), to: dir + "/" + name)
        }
        let found = ImageFolderAdapter.listCandidates(dir).map { String($0.dropFirst(dir.count + 1)) }
        XCTAssertEqual(found, ["c.png", "a/0.png", "a/z/1.png", "b/10.png", "b/2.png"])
    }

    func testEveryKindOfBadFileGetsAClearReason() throws {
        let dir = Fixtures.temporaryDirectory()
        FolderFixtures.write(FolderFixtures.flatPNG(200), to: dir + "/good.png")
        FolderFixtures.write(FolderFixtures.flatPNG(100), to: dir + "/png-named.jpg")
        FolderFixtures.write([], to: dir + "/zero.png")
        FolderFixtures.write(Array("just some notes\n".utf8), to: dir + "/notes.png")
        FolderFixtures.write([0xFF, 0xD8, 0xFF] + [UInt8](repeating: 0x11, count: 40), to: dir + "/garbage.jpg")
        FolderFixtures.write(Array("GIF89a".utf8) + [1, 0, 1, 0, 0, 0, 0], to: dir + "/anim.gif")
        FolderFixtures.write(Array("plain text, not an image".utf8), to: dir + "/README.txt")
        let locked = dir + "/locked.png"
        FolderFixtures.write(FolderFixtures.flatPNG(1), to: locked)
        chmod(locked, 0)
        let d = try ImageFolderAdapter.load(path: dir, options: DatasetOptions(size: 4))
        let skipped = names(d.skipped)
        XCTAssertEqual(d.train.count, geteuid() == 0 ? 3 : 2, "good.png, png-named.jpg (and locked.png for root)")
        XCTAssertEqual(skipped["zero.png"], "empty file")
        XCTAssertEqual(skipped["notes.png"], "not a PNG or JPEG file: named .png but it holds text")
        XCTAssertEqual(skipped["anim.gif"], "not a PNG or JPEG file: named .gif but a GIF image (vaepipe reads PNG and JPEG)")
        XCTAssertTrue(skipped["garbage.jpg"]?.contains("corrupt JPEG data") == true, "\(skipped)")
        XCTAssertNil(skipped["README.txt"], "a non-image file is ignored")
        if geteuid() != 0 { XCTAssertEqual(skipped["locked.png"], "permission denied") }
    }

    func testBombHeaderIsSkippedWithoutDecoding() throws {
        let dir = Fixtures.temporaryDirectory()
        FolderFixtures.write(FolderFixtures.flatPNG(10), to: dir + "/fine.png")
        FolderFixtures.write(bombPNG(), to: dir + "/bomb.png")
        let d = try ImageFolderAdapter.load(path: dir, options: DatasetOptions(size: 4))
        XCTAssertEqual(d.train.count, 1)
        XCTAssertEqual(names(d.skipped)["bomb.png"], "image is 100000x100000 (10000 megapixels), over the 64 megapixel limit")
    }

    func testOnBadFileFailStopsAtTheFirstBadFile() throws {
        var options = DatasetOptions(size: 8)
        options.onBadFile = .fail
        XCTAssertThrowsError(try ImageFolderAdapter.load(path: mixed, options: options)) { error in
            XCTAssertEqual("\(error)", mixed + "/more/empty.png: empty file" + BadFilePolicy.failHint)
        }
    }

    func testOnBadFileFailStopsAStreamAtBrokenData() throws {
        let dir = FolderFixtures.numberedFolder(count: 5, broken: [2])
        var options = DatasetOptions(size: 4)
        options.onBadFile = .fail; options.cache = .none
        let d = try ImageFolderAdapter.load(path: dir, options: options)
        let epoch = Batcher(set: d.train, batchSize: 2, seed: 1, shuffle: false).start(epoch: 0)
        defer { epoch.finish() }
        XCTAssertNotNil(try epoch.next())
        XCTAssertThrowsError(try epoch.next()) { error in
            XCTAssertTrue("\(error)".hasPrefix(dir + "/002.png: truncated PNG data"), "\(error)")
        }
    }

    func testStreamingReplacesABrokenFileMidFolderWithTheNextGoodOne() throws {
        let dir = FolderFixtures.numberedFolder(count: 6, broken: [3])
        var options = DatasetOptions(size: 4)
        options.cache = .none
        let d = try ImageFolderAdapter.load(path: dir, options: options)
        XCTAssertEqual(d.train.count, 6, "the header is fine, so the file is only found out later")
        let firstPixels = try (0..<6).map { try d.train.pixels($0)[0] }
        XCTAssertEqual(firstPixels, [0, 5, 10, 20, 20, 25])
        XCTAssertEqual(d.skippedSoFar.map(\.path), [dir + "/003.png"])
    }

    func testBatchesAreIdenticalForOneTwoAndFourWorkers() throws {
        let dir = FolderFixtures.numberedFolder(count: 37, broken: [11, 30])
        var options = DatasetOptions(size: 4)
        options.cache = .none
        let d = try ImageFolderAdapter.load(path: dir, options: options)
        func batches(workers: Int, epoch: Int) throws -> [[Float]] {
            let e = Batcher(set: d.train, batchSize: 5, seed: 9, workers: workers).start(epoch: epoch)
            defer { e.finish() }
            var out: [[Float]] = []
            while let (p, n) = try e.next() { out.append((0..<n).map { p[$0 * 16] }) }
            return out
        }
        for epoch in 1...2 {
            let one = try batches(workers: 1, epoch: epoch)
            XCTAssertEqual(one.map(\.count), [5, 5, 5, 5, 5, 5, 5, 2])
            XCTAssertEqual(try batches(workers: 2, epoch: epoch), one)
            XCTAssertEqual(try batches(workers: 4, epoch: epoch), one)
        }
    }

    /// 4x4 gray PNGs whose first two pixels spell their number (low byte, high byte).
    func numberedPNGs(_ range: Range<Int>, in dir: String) {
        for i in range {
            var pixels = [UInt8](repeating: 0, count: 16)
            pixels[0] = UInt8(i % 256); pixels[1] = UInt8(i / 256)
            FolderFixtures.write(try! PNGCodec.encode(RasterImage(width: 4, height: 4, channels: 1, pixels: pixels)),
                                 to: dir + String(format: "/%03d.png", i))
        }
    }

    func numbers(_ set: ImageSet?) throws -> Set<Int> {
        let s = try XCTUnwrap(set)
        return Set(try (0..<s.count).map { let p = try s.pixels($0); return Int(p[0]) + 256 * Int(p[1]) })
    }

    /// A folder of 400 images (past the 300 from which a folder gets a test split by default)
    /// holds out about a tenth, the same ones cached or streamed on any number of workers, and
    /// adding images never moves the old ones.
    func testHeldOutSplitDependsOnFileNamesOnly() throws {
        let dir = Fixtures.temporaryDirectory()
        numberedPNGs(0..<400, in: dir)
        var options = DatasetOptions(size: 4)
        options.workers = 1
        let cached = try ImageFolderAdapter.load(path: dir, options: options)
        let heldOut = try numbers(cached.test)
        XCTAssertEqual(heldOut.count + cached.train.count, 400)
        XCTAssertTrue((25...55).contains(heldOut.count), "\(heldOut.count) of 400 held out")
        XCTAssertTrue(heldOut.isDisjoint(with: try numbers(cached.train)))
        XCTAssertTrue(cached.notes.contains { $0.contains("held out \(heldOut.count) images") }, "\(cached.notes)")

        options.workers = 3; options.cache = .none
        let streamed = try ImageFolderAdapter.load(path: dir, options: options)
        XCTAssertEqual(try numbers(streamed.test), heldOut)
        XCTAssertEqual(try numbers(streamed.train), try numbers(cached.train))

        numberedPNGs(400..<450, in: dir)
        XCTAssertEqual(try numbers(try ImageFolderAdapter.load(path: dir, options: options).test).filter { $0 < 400 }, heldOut)

        options.testFraction = 0
        XCTAssertNil(try ImageFolderAdapter.load(path: dir, options: options).test)
        options.testFraction = 0.5
        XCTAssertTrue((180...270).contains(try numbers(try ImageFolderAdapter.load(path: dir, options: options).test).count))
    }

    func testSmallFoldersGetNoTestSplitUnlessAsked() throws {
        let dir = FolderFixtures.numberedFolder(count: 40)
        XCTAssertNil(try ImageFolderAdapter.load(path: dir, options: DatasetOptions(size: 4)).test)
        var options = DatasetOptions(size: 4)
        options.testFraction = 0.25
        let d = try ImageFolderAdapter.load(path: dir, options: options)
        XCTAssertEqual(d.train.count + (d.test?.count ?? 0), 40)
        XCTAssertGreaterThan(d.test?.count ?? 0, 0)
    }

    /// The hash spreads similar names evenly: 10,000 names, a tenth held out within 1%.
    func testHeldOutShareMatchesTheFraction() {
        let held = (0..<10_000).filter { HeldOutSplit.isHeldOut("/d/img_\($0).jpg", root: "/d", fraction: 0.1) }.count
        XCTAssertEqual(Double(held) / 10_000, 0.1, accuracy: 0.01)
        XCTAssertEqual(HeldOutSplit.isHeldOut("/d/a/b.png", root: "/d", fraction: 0.3),
                       HeldOutSplit.isHeldOut("/elsewhere/a/b.png", root: "/elsewhere/", fraction: 0.3))
    }

    func testLimitCountsFilesWithReadableHeaders() throws {
        // more/: two bad headers skipped, then 5 readable ones, the last of them truncated.png,
        // which the decode into memory leaves out: at most 5 images.
        let d = try ImageFolderAdapter.load(path: mixed, options: DatasetOptions(size: 8, limit: 5))
        XCTAssertEqual(d.train.count, 4)
        XCTAssertEqual(Set(names(d.skipped).keys), ["truncated.png", "garbage.jpg", "empty.png"])
    }

    func testDefaultChannelsFollowTheData() throws {
        let shapes = try ImageFolderAdapter.load(path: mixed + "/shapes", options: DatasetOptions(size: 4))
        XCTAssertEqual(shapes.shape.channels, 3, "circle-rgb.png has colour")
        let dir = Fixtures.temporaryDirectory()
        FolderFixtures.write(FolderFixtures.flatPNG(3), to: dir + "/a.png")
        try PNGCodec.write(RasterImage(width: 1, height: 1, channels: 2, pixels: [9, 128]), to: dir + "/b.png")
        XCTAssertEqual(try ImageFolderAdapter.load(path: dir, options: DatasetOptions(size: 2)).shape.channels, 1,
                       "gray and gray+alpha: gray, alpha composited unless --channels 4")
        var four = DatasetOptions(size: 2)
        four.channels = 4
        XCTAssertEqual(try ImageFolderAdapter.load(path: dir, options: four).shape.channels, 4)
    }

    func testInventoryCountsFormatsColoursAndMisnamedFiles() throws {
        let d = try ImageFolderAdapter.load(path: mixed, options: DatasetOptions(size: 8))
        let lines = Dictionary(uniqueKeysWithValues: d.inventory.map { ($0.label, $0.text) })
        XCTAssertEqual(lines["formats"], "PNG 5, JPEG 2, JPEG (progressive) 1")
        XCTAssertTrue(lines["names"]?.contains("square-really-a-png.jpg is a PNG") == true, "\(lines)")
        XCTAssertNotNil(lines["colour"]); XCTAssertNotNil(lines["sizes"])
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

    /// A valid PNG signature and IHDR declaring 100000 x 100000 RGBA, then a few bytes: decoding
    /// it would ask for 40 GB.
    func bombPNG() -> [UInt8] {
        let real = FolderFixtures.flatPNG(0)
        var bytes = Array(real.prefix(33))
        bytes.replaceSubrange(16..<24, with: [0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0])
        return bytes + Array(real.dropFirst(33))
    }
}

import Foundation
import VAEPipeCore
import XCTest

/// One-pixel images whose value is their index; the indices in `broken` fail to load.
private struct CountingLoader: ImageLoader {
    let count: Int
    let broken: Set<Int>
    let loads = Counter()
    var shape: ImageShape { ImageShape(height: 1, width: 1, channels: 1) }
    func path(_ index: Int) -> String { "/data/\(index).png" }
    func load(_ index: Int, into out: UnsafeMutablePointer<UInt8>) throws {
        loads.add(index)
        if broken.contains(index) { throw VAEPipeError.badFile(path: path(index), reason: "truncated PNG data") }
        out[0] = UInt8(index)
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [Int: Int] = [:]
    func add(_ i: Int) { lock.withLock { counts[i, default: 0] += 1 } }
    subscript(i: Int) -> Int { lock.withLock { counts[i] ?? 0 } }
}

final class StreamedImagesTests: XCTestCase {
    fileprivate func set(count: Int, broken: Set<Int>, policy: BadFilePolicy = .skip, workers: Int = 2) -> (ImageSet, CountingLoader) {
        let loader = CountingLoader(count: count, broken: broken)
        return (ImageSet(streaming: StreamedImages(loader: loader, source: "/data", policy: policy, workers: workers)), loader)
    }

    func testABrokenFileIsReplacedByTheNextGoodOneAndTriedOnlyOnce() throws {
        let (images, loader) = set(count: 6, broken: [2, 3, 5])
        XCTAssertEqual(try images.allPixels(), [0, 1, 4, 4, 4, 0], "5 wraps around to 0")
        XCTAssertEqual(try images.allPixels(), [0, 1, 4, 4, 4, 0])
        XCTAssertEqual([loader.loads[2], loader.loads[3], loader.loads[5]], [1, 1, 1])
        XCTAssertEqual(images.streamed?.skipped, [2, 3, 5].map { SkippedFile(path: "/data/\($0).png", reason: "truncated PNG data") })
    }

    func testBatchesAreTheSameForAnyNumberOfWorkers() throws {
        func batches(_ workers: Int) throws -> [[Float]] {
            let (images, _) = set(count: 50, broken: [7, 8, 31], workers: workers)
            let epoch = Batcher(set: images, batchSize: 8, seed: 4).start(epoch: 3)
            defer { epoch.finish() }
            var out: [[Float]] = []
            while let (p, n) = try epoch.next() { out.append(Array(UnsafeBufferPointer(start: p, count: n))) }
            return out
        }
        let one = try batches(1)
        XCTAssertEqual(one.map(\.count), [8, 8, 8, 8, 8, 8, 2])
        XCTAssertEqual(try batches(2), one)
        XCTAssertEqual(try batches(4), one)
    }

    func testFailPolicyStopsTheBatcherWithTheFileAndReason() throws {
        let (images, _) = set(count: 20, broken: [13], policy: .fail)
        let epoch = Batcher(set: images, batchSize: 4, seed: 1, shuffle: false).start(epoch: 0)
        defer { epoch.finish() }
        var served = 0
        do {
            while try epoch.next() != nil { served += 1 }
            XCTFail("expected the broken file to stop the epoch")
        } catch {
            XCTAssertEqual("\(error)", "/data/13.png: truncated PNG data" + BadFilePolicy.failHint)
        }
        XCTAssertEqual(served, 3, "every batch before the broken file's is served, none after")
    }

    func testASetWithNothingDecodableSaysSo() {
        let (images, _) = set(count: 3, broken: [0, 1, 2])
        XCTAssertThrowsError(try images.pixels(1)) { error in
            XCTAssertTrue("\(error)".hasPrefix("/data: no usable images (3 skipped"), "\(error)")
        }
    }

    func testSubsetsKeepTheirPlaceInTheStream() throws {
        let (images, _) = set(count: 10, broken: [])
        XCTAssertEqual(try images.evenlySpaced(5).allPixels(), [0, 2, 4, 6, 8])
        XCTAssertEqual(try images.prefix(3).allPixels(), [0, 1, 2])
        XCTAssertEqual(images.evenlySpaced(5).preferredWorkers, 2)
    }
}

import VAEPipeCore
import VAEPipeTestSupport
import XCTest

final class BatcherTests: XCTestCase {
    /// 10 one-pixel images whose value encodes their index.
    let set = ImageSet(shape: ImageShape(height: 1, width: 1, channels: 1), pixels: (0..<10).map { UInt8($0 * 10) })

    func collect(_ b: Batcher, epoch: Int) throws -> [[Int]] {
        let e = b.start(epoch: epoch)
        defer { e.finish() }
        var out: [[Int]] = []
        while let (p, n) = try e.next() { out.append((0..<n).map { Int((p[$0] * 255).rounded()) / 10 }) }
        return out
    }

    func testEveryExampleOncePerEpochWithAPartialLastBatch() throws {
        let b = Batcher(set: set, batchSize: 4, seed: 7)
        let batches = try collect(b, epoch: 1)
        XCTAssertEqual(batches.map(\.count), [4, 4, 2])
        XCTAssertEqual(batches.flatMap { $0 }.sorted(), Array(0..<10))
    }

    /// Split between 1 to 5 processes, at any batch size: each batch's shares, put side by side in
    /// process order, are the unsplit batch (the same examples at the same offsets), so every
    /// example is read exactly once per epoch by exactly one process; with several workers too.
    func testShardsCoverEveryBatchExactlyOnce() throws {
        for batchSize in [1, 2, 3, 4, 7, 10, 16] {
            for workers in [1, 3] {
                let whole = try collect(Batcher(set: set, batchSize: batchSize, seed: 3, workers: workers), epoch: 2)
                for count in 1...5 {
                    var joined = [[Int]](repeating: [], count: whole.count)
                    for index in 0..<count {
                        let e = Batcher(set: set, batchSize: batchSize, seed: 3, workers: workers,
                                        shard: Shard(index: index, count: count)).start(epoch: 2)
                        defer { e.finish() }
                        var k = 0
                        while let (p, n) = try e.next() {
                            XCTAssertEqual(e.offset, joined[k].count, "batch \(batchSize), shard \(index)/\(count), batch \(k)")
                            joined[k] += (0..<n).map { Int((p[$0] * 255).rounded()) / 10 }
                            k += 1
                        }
                        XCTAssertEqual(k, whole.count, "every process sees every batch, even one with no rows for it")
                    }
                    XCTAssertEqual(joined, whole, "batch \(batchSize), \(count) processes, \(workers) workers")
                }
            }
        }
    }

    func testShuffleIsSeededAndChangesEveryEpoch() throws {
        let a = Batcher(set: set, batchSize: 3, seed: 7, prefetch: 1)
        let b = Batcher(set: set, batchSize: 5, seed: 7, prefetch: 4)
        XCTAssertEqual(try collect(a, epoch: 1).flatMap { $0 }, try collect(b, epoch: 1).flatMap { $0 })
        XCTAssertNotEqual(a.order(epoch: 1), a.order(epoch: 2))
        XCTAssertNotEqual(a.order(epoch: 1), Batcher(set: set, batchSize: 3, seed: 8).order(epoch: 1))
    }

    func testUnshuffledKeepsOrderAndNormalises() throws {
        let b = Batcher(set: set, batchSize: 10, seed: 1, shuffle: false)
        XCTAssertEqual(try collect(b, epoch: 0), [Array(0..<10)])
        let e = b.start(epoch: 0)
        let first = try e.next()!
        XCTAssertEqual(first.pointer[9], 90 / 255, accuracy: 1e-6)
        e.finish()
    }

    func testStoppingEarlyDoesNotHang() {
        let b = Batcher(set: set, batchSize: 1, seed: 1, prefetch: 2)
        let e = b.start(epoch: 1)
        XCTAssertNotNil(try e.next())
        e.finish()
    }
}

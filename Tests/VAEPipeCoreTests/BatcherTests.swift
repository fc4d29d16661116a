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

import Foundation
import VAEPipeBuiltinPlugins
import VAEPipeTestSupport
import XCTest

/// Gradients summed in a batch's parts (BatchParts): shares of the batch held by 2 or 4
/// processes, added pairwise as the ranks add them, give the whole batch's gradient bit for
/// bit, for every kind of layer and for a head with parameters of its own.
final class BatchPartsTests: XCTestCase {
    /// The gradient of a batch of `total` rows from one process, and the pairwise sum of the
    /// gradients of its shares on `processes` processes, all summed in 8 parts.
    func gradients(_ makeHead: () throws -> any LikelihoodHead, architecture: String = "mlp", samples: Int = 1,
                   iwae: Bool = false, total: Int = 13, processes: Int) throws -> (whole: [Float], shares: [Float]) {
        let shape = architecture == "mlp" ? ImageShape(height: 2, width: 3, channels: 1) : ImageShape(height: 4, width: 4, channels: 2)
        func model() throws -> VAE {
            let head = try makeHead()
            let config = ModelConfig(architecture: architecture, shape: shape, hidden: 4, latent: 2, width: 2, head: type(of: head).id)
            let m = VAE(config: config, head: head, capacity: total, samples: samples, importanceWeighted: iwae)
            m.initialize(seed: 3)
            return m
        }
        var rng = SplitMix64(seed: 4)
        let x = FloatBuffer((0..<(total * shape.count)).map { _ in rng.nextUniform() })

        let whole = try model()
        var r = SplitMix64(seed: 9)
        _ = whole.trainingForward(x.pointer, batch: total, rng: &r, parts: BatchParts(count: 8, total: total))
        whole.trainingBackward(batch: total)

        var perProcess: [[Float]] = []
        for rank in 0..<processes {
            let shard = Shard(index: rank, count: processes), rows = shard.rows(of: total)
            let copy = FloatBuffer(x.array), part = try model()
            var rr = SplitMix64(seed: 9)
            _ = part.trainingForward(copy.pointer + rows.lowerBound * shape.count, batch: rows.count, rng: &rr,
                                     share: BatchShare(offset: rows.lowerBound, total: total),
                                     parts: BatchParts(count: 8, shard: shard, total: total))
            part.trainingBackward(batch: rows.count)
            perProcess.append(part.parameters.gradients.array)
        }
        // As vp_mpi_reduce_scatter_pairwise_float adds: rank r with r ^ 1, then with r ^ 2.
        var d = 1
        while d < processes {
            perProcess = perProcess.indices.map { r in zip(perProcess[r], perProcess[r ^ d]).map { $0 + $1 } }
            d *= 2
        }
        return (whole.parameters.gradients.array, perProcess[0])
    }

    func assertBitForBit(_ pair: (whole: [Float], shares: [Float]), _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(pair.whole.count, pair.shares.count)
        let differing = zip(pair.whole, pair.shares).filter { $0.bitPattern != $1.bitPattern }.count
        XCTAssertEqual(differing, 0, "\(label): \(differing) of \(pair.whole.count) gradients differ", file: file, line: line)
        XCTAssertTrue(pair.whole.contains { $0 != 0 }, "\(label): no gradient at all", file: file, line: line)
    }

    func testMLPSharesAddUpBitForBit() throws {
        for n in [2, 4] { assertBitForBit(try gradients({ BernoulliHead(options: HeadOptions()) }, processes: n), "mlp, \(n) processes") }
    }

    func testConvSharesAddUpBitForBit() throws {
        for n in [2, 4] {
            assertBitForBit(try gradients({ BernoulliHead(options: HeadOptions()) }, architecture: "conv", processes: n), "conv, \(n) processes")
        }
    }

    func testHeadParametersAndSamplesAddUpBitForBit() throws {
        assertBitForBit(try gradients({ try GaussianHead(options: HeadOptions()) }, processes: 2), "gaussian learned sigma")
        assertBitForBit(try gradients({ try GaussianHead(options: HeadOptions(sigma: .pixel, dimension: 6)) }, samples: 3, processes: 4),
                        "gaussian sigma per pixel, 3 samples")
        assertBitForBit(try gradients({ try LogisticHead(options: HeadOptions(dimension: 6)) }, samples: 2, iwae: true, processes: 2),
                        "logistic, IWAE")
    }

    /// Convolutions lowering 2 examples at a time, so a part spans several lowered slices and a
    /// share's first slice starts inside the batch.
    func testConvLayersInSlicesAddUpBitForBit() {
        let total = 13
        let layers: [() -> any PartSummed] = [
            { Conv2D(inChannels: 2, outChannels: 3, height: 6, width: 6, examplesPerSlice: 2) },
            { ConvTranspose2D(inChannels: 3, outChannels: 2, height: 3, width: 3, examplesPerSlice: 2) },
        ]
        for make in layers {
            let probe = make()
            var rng = SplitMix64(seed: 7)
            let x = FloatBuffer((0..<(total * probe.inputSize)).map { _ in rng.nextUniform() - 0.5 })
            let dy = FloatBuffer((0..<(total * probe.outputSize)).map { _ in rng.nextUniform() - 0.5 })
            func gradient(rows: Range<Int>, parts: BatchParts) -> [Float] {
                let layer = make()
                let values = FloatBuffer(count: layer.parameterCount), grads = FloatBuffer(count: layer.parameterCount)
                layer.bind(values: values.pointer, gradients: grads.pointer)
                var r = SplitMix64(seed: 1)
                layer.initialize(rng: &r)
                let y = FloatBuffer(count: total * layer.outputSize), dx = FloatBuffer(count: total * layer.inputSize)
                let xs = x.pointer + rows.lowerBound * layer.inputSize
                layer.forward(xs, y.pointer, batch: rows.count)
                layer.backward(xs, y.pointer, dy.pointer + rows.lowerBound * layer.outputSize, dx.pointer, batch: rows.count, parts: parts)
                return grads.array
            }
            let whole = gradient(rows: 0..<total, parts: BatchParts(count: 8, total: total))
            let halves = (0..<2).map { i -> [Float] in
                let shard = Shard(index: i, count: 2)
                return gradient(rows: shard.rows(of: total), parts: BatchParts(count: 8, shard: shard, total: total))
            }
            assertBitForBit((whole, zip(halves[0], halves[1]).map { $0 + $1 }), "\(type(of: probe)) in slices of 2")
        }
    }

    /// 300 rows: one process sums the weight gradients' parts in buffers (the depth is past one
    /// block), 2 or 4 processes in the register tile; the same bits either way.
    func testPartBuffersAndRegisterTilesAgree() throws {
        for n in [2, 4] {
            assertBitForBit(try gradients({ BernoulliHead(options: HeadOptions()) }, total: 300, processes: n), "300 rows, \(n) processes")
        }
    }

    /// Fewer rows than parts: empty parts are zeros in the tree, on every process.
    func testABatchSmallerThanItsParts() throws {
        assertBitForBit(try gradients({ BernoulliHead(options: HeadOptions()) }, total: 5, processes: 4), "5 rows")
    }

    /// One process's cuts of its rows are the whole batch's cuts it holds.
    func testCuts() {
        func cuts(_ p: BatchParts, scale: Int = 1) -> [Int] { p.withCuts(scale: scale) { c, n in (0...n).map { c[$0] } } }
        XCTAssertEqual(cuts(BatchParts(count: 8, total: 13)), [0, 1, 3, 4, 6, 8, 9, 11, 13])
        XCTAssertEqual(cuts(BatchParts(count: 8, shard: Shard(index: 1, count: 2), total: 13)), [0, 2, 3, 5, 7])
        XCTAssertEqual(cuts(BatchParts(count: 8, shard: Shard(index: 1, count: 2), total: 13).perExample(3)), [0, 6, 9, 15, 21])
        XCTAssertEqual(cuts(BatchParts(count: 8, shard: Shard(index: 3, count: 4), total: 13), scale: 2), [0, 4, 8])
        // Three processes do not divide 8 parts: each holds its rows as one part.
        let three = BatchParts(count: 8, shard: Shard(index: 1, count: 3), total: 13)
        XCTAssertFalse(three.aligned)
        XCTAssertTrue(BatchParts(count: 8, shard: Shard(index: 3, count: 4), total: 13).aligned)
        XCTAssertEqual(cuts(three), [0, 4])
        XCTAssertEqual(cuts(.whole(7)), [0, 7])
    }

    /// The product in parts is the product: against the Double oracle, in one depth block and in several.
    func testGEMMInPartsMatchesTheOracle() {
        var rng = SplitMix64(seed: 5)
        for (m, n, rows) in [(37, 53, 100), (20, 40, 700)] {
            let a = FloatBuffer((0..<(rows * m)).map { _ in rng.nextUniform() - 0.5 })
            let b = FloatBuffer((0..<(rows * n)).map { _ in rng.nextUniform() - 0.5 })
            let c = FloatBuffer(count: m * n), expected = FloatBuffer(count: m * n)
            for i in 0..<(m * n) { c.pointer[i] = Float(i % 7); expected.pointer[i] = Float(i % 7) }
            GEMM.multiplyTransposed(m: m, n: n, k: rows, a: a.pointer, b: b.pointer, beta: 1, c: c.pointer,
                                    parts: BatchParts(count: 8, total: rows))
            ReferenceKernels.gemm(transA: true, m: m, n: n, k: rows, a: a.pointer, b: b.pointer, beta: 1, c: expected.pointer)
            for i in 0..<(m * n) { XCTAssertEqual(c.pointer[i], expected.pointer[i], accuracy: 1e-4, "\(m)x\(n)x\(rows) at \(i)") }
        }
    }

    /// The parts a run sums in are saved with its position; checkpoints from before read as one part.
    func testTrainingStateKeepsItsParts() throws {
        var state = TrainingState(rng: 42)
        state.gradientParts = 8
        let decoded = try JSONDecoder().decode(TrainingState.self, from: try JSONEncoder().encode(state))
        XCTAssertEqual(decoded.gradientParts, 8)
        var old = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(TrainingState(rng: 42))) as! [String: Any]
        XCTAssertNil(old["gradient_parts"])
        XCTAssertEqual(try JSONDecoder().decode(TrainingState.self, from: try JSONSerialization.data(withJSONObject: old)).gradientParts, 1)
        old["gradient_parts"] = 3
        XCTAssertThrowsError(try JSONDecoder().decode(TrainingState.self, from: try JSONSerialization.data(withJSONObject: old)))
    }
}

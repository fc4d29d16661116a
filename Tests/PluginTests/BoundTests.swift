import Foundation
import VAEPipeBuiltinPlugins
import VAEPipeTestSupport
import XCTest

/// The IWAE bound and the several-sample ELBO as training objectives: their values by hand,
/// their gradients against finite differences, and a batch split between processes.
final class BoundTests: XCTestCase {
    let shape = ImageShape(height: 2, width: 3, channels: 1)

    func makeModel(_ head: any LikelihoodHead, samples: Int, iwae: Bool, capacity: Int = 3) -> VAE {
        let model = VAE(config: ModelConfig(shape: shape, hidden: 4, latent: 2, head: type(of: head).id), head: head,
                        capacity: capacity, samples: samples, importanceWeighted: iwae)
        model.initialize(seed: 3)
        return model
    }

    func input(rows: Int) -> FloatBuffer {
        var rng = SplitMix64(seed: 4)
        return FloatBuffer((0..<(rows * shape.count)).map { _ in rng.nextUniform() })
    }

    /// log w = logRatio - nll: [-2, -2] weighs both samples 1/2 and bounds at 2 nats; [-1, -3]
    /// weighs them e^-1 : e^-3 and bounds at -log((e^-1 + e^-3) / 2).
    func testWeightsAndBoundByHand() {
        let logRatio = FloatBuffer([0, -1, 0, -2]), nll = FloatBuffer([2, 1, 1, 1])
        let bound = ImportanceWeights.normalize(logRatio.pointer, nll: nll.pointer, batch: 2, samples: 2)
        let a = exp(-1.0), b = exp(-3.0)
        XCTAssertEqual(bound, 2 - log((a + b) / 2), accuracy: 1e-6)
        XCTAssertEqual(logRatio.array.map(Double.init), [0.5, 0.5, a / (a + b), b / (a + b)], accuracy: 1e-6)
    }

    /// Weights that span more than Float's range still normalise (log-sum-exp).
    func testWeightsSpanningHundredsOfNatsStayFinite() {
        let logRatio = FloatBuffer([0, 0, 0]), nll = FloatBuffer([1000, 1, 300])
        let bound = ImportanceWeights.normalize(logRatio.pointer, nll: nll.pointer, batch: 1, samples: 3)
        XCTAssertEqual(bound, 1 + log(3.0), accuracy: 1e-4)
        XCTAssertEqual(logRatio.array, [0, 1, 0])
    }

    /// With one sample the IWAE bound is the sampled ELBO: nll - (log p(z) - log q(z | x)), whose
    /// mean over the noise is the ELBO with its closed-form KL.
    func testOneSampleBoundIsTheSampledELBO() {
        let model = makeModel(BernoulliHead(options: HeadOptions()), samples: 1, iwae: true)
        let x = input(rows: 3)
        var rng = SplitMix64(seed: 9)
        let bound = model.trainingObjective(x.pointer, batch: 3, rng: &rng)
        // The same noise by hand: encode, sample z, score it.
        var r = SplitMix64(seed: 9)
        let base = r
        _ = r.next()
        let eps = FloatBuffer(count: 6), z = FloatBuffer(count: 6), nll = FloatBuffer(count: 3)
        for row in 0..<3 { var s = base.derived(UInt64(row)); s.fillNormal(eps.pointer + 2 * row, count: 2) }
        let moments = FloatBuffer(Array(UnsafeBufferPointer(start: model.encode(x.pointer, batch: 3), count: 12)))
        Reparameterization.forward(moments: moments.pointer, eps: eps.pointer, z: z.pointer, batch: 3, latent: 2)
        model.reconstructionNLL(z.pointer, targets: x.pointer, batch: 3, into: nll.pointer)
        var expected = 0.0
        for row in 0..<3 {
            var t = 0.0
            for j in 0..<2 {
                let e = Double(eps[2 * row + j]), zz = Double(z[2 * row + j]), lv = Double(moments[4 * row + 2 + j])
                t += 0.5 * e * e - 0.5 * zz * zz + 0.5 * lv
            }
            expected += Double(nll[row]) - t
        }
        XCTAssertEqual(bound, expected, accuracy: 1e-4)
    }

    /// d(mean negative bound)/dθ through the decoder, the reparameterised samples, the prior and
    /// the posterior's log-density, for K = 3 samples, against finite differences.
    func testIWAEGradientsMatchFiniteDifferences() throws {
        // The per-value sigma: a head parameter per pixel, each row's gradient weighted.
        let pixel = try GaussianHead(options: HeadOptions(sigma: .pixel, dimension: shape.count))
        for head in [BernoulliHead(options: HeadOptions()), try GaussianHead(options: HeadOptions()), pixel] as [any LikelihoodHead] {
            let model = makeModel(head, samples: 3, iwae: true)
            if head === pixel { for i in 0..<shape.count { model.parameters.values[model.parameters.count - 1 - i] = -0.3 + 0.1 * Float(i) } }
            check(model)
        }
    }

    /// The ELBO averaged over K = 4 samples (closed-form KL).
    func testSeveralSampleELBOGradientsMatchFiniteDifferences() throws {
        check(makeModel(try GaussianHead(options: HeadOptions()), samples: 4, iwae: false))
    }

    func check(_ model: VAE, file: StaticString = #filePath, line: UInt = #line) {
        let x = input(rows: 3)
        func loss() -> Double {
            var r = SplitMix64(seed: 9)
            return model.trainingObjective(x.pointer, batch: 3, rng: &r) / 3
        }
        var r = SplitMix64(seed: 9)
        let l = model.trainStep(x.pointer, batch: 3, rng: &r)
        XCTAssertEqual((model.importanceWeighted ? model.lastBound : l.negELBO) / 3, loss(), accuracy: 1e-4, file: file, line: line)
        GradientCheck.assertMatches(model.parameters.values.pointer, count: model.parameters.count,
                                    analytic: model.parameters.gradients.array, label: "dθ", file: file, line: line, loss)
    }

    /// A batch of 5 split 2 + 3 between two processes: their gradients add up to the whole
    /// batch's, and their bounds to its bound (each example's samples come from its own stream).
    func testSharesOfABatchAddUpToTheWholeBatch() {
        let head = BernoulliHead(options: HeadOptions())
        let whole = makeModel(head, samples: 3, iwae: true, capacity: 5)
        let x = input(rows: 5), copy = FloatBuffer(x.array)
        var r = SplitMix64(seed: 9)
        _ = whole.trainingForward(x.pointer, batch: 5, rng: &r)
        whole.trainingBackward(batch: 5)
        let expected = whole.parameters.gradients.array, expectedBound = whole.lastBound

        let part = makeModel(BernoulliHead(options: HeadOptions()), samples: 3, iwae: true, capacity: 5)
        var sum = [Float](repeating: 0, count: part.parameters.count), bound = 0.0
        for (offset, rows) in [(0, 2), (2, 3)] {
            var rr = SplitMix64(seed: 9)
            _ = part.trainingForward(copy.pointer + offset * shape.count, batch: rows, rng: &rr,
                                     share: BatchShare(offset: offset, total: 5))
            part.trainingBackward(batch: rows)
            bound += part.lastBound
            for (i, g) in part.parameters.gradients.array.enumerated() { sum[i] += g }
        }
        XCTAssertEqual(bound, expectedBound, accuracy: 1e-9 * abs(expectedBound) + 1e-4)
        for (a, b) in zip(sum, expected) { XCTAssertEqual(a, b, accuracy: 1e-5 + 1e-4 * abs(b)) }
    }

    func testObjectiveNamesAndProblems() {
        XCTAssertEqual(Objective(bound: .iwae, samples: 5).name, "neg-IWAE bound (5 samples)")
        XCTAssertEqual(Objective(samples: 5).name, "neg-ELBO (5 samples)")
        XCTAssertTrue(Objective(samples: 5).isELBO)
        XCTAssertFalse(Objective(bound: .iwae, samples: 5).isELBO)
        XCTAssertNotNil(Objective(bound: .iwae, samples: 5, beta: 2).problem)
        XCTAssertNotNil(Objective(samples: 0).problem)
        XCTAssertNotNil(Objective(samples: Objective.maxSamples + 1).problem)
        XCTAssertNil(Objective(bound: .iwae, samples: 50).problem)
    }

    /// Checkpoints written before the bound and samples were recorded read as the one-sample ELBO.
    func testObjectiveWithoutBoundOrSamplesReadsAsTheELBO() throws {
        let old = #"{"beta":2,"kl_warmup_epochs":1,"free_bits":0}"#
        let o = try JSONDecoder().decode(Objective.self, from: Data(old.utf8))
        XCTAssertEqual(o, Objective(beta: 2, klWarmupEpochs: 1))
    }
}

private func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}

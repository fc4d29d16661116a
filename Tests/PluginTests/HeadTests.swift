import Foundation
import VAEPipeBuiltinPlugins
import VAEPipeTestSupport
import XCTest

final class HeadTests: XCTestCase {
    /// Every store a head was bound to: the head reads its parameters there, so a test that
    /// drops the store must not free them.
    private var stores: [ParameterStore] = []

    /// The head as the model drives it: through a scorer bound to a store of its parameters.
    func makeHead(_ type: any LikelihoodHead.Type, _ options: HeadOptions = HeadOptions(), capacity: Int = 8) throws -> (HeadScorer, ParameterStore) {
        let head = try type.init(options: options)
        let store = ParameterStore(specs: head.parameterSpecs)
        stores.append(store)
        let scorer = HeadScorer(head: head, capacity: capacity)
        scorer.bind(values: store.values.pointer, gradients: store.gradients.pointer)
        head.initialize()
        return (scorer, store)
    }

    /// d(scale * sum NLL)/dlogits and d/dθ against finite differences.
    func checkGradients(_ type: any LikelihoodHead.Type, logSigma: Float? = nil) throws {
        let (scorer, store) = try makeHead(type)
        if let logSigma { store.values[0] = logSigma }
        GradientCheck.checkHead(scorer, store)
    }

    func testBernoulliGradientsMatchFiniteDifferences() throws { try checkGradients(BernoulliHead.self) }
    func testGaussianGradientsMatchFiniteDifferences() throws { try checkGradients(GaussianHead.self, logSigma: -0.7) }
    func testContinuousBernoulliGradientsMatchFiniteDifferences() throws { try checkGradients(ContinuousBernoulliHead.self) }

    /// Near l = 0 the series take over from the closed forms: both agree where they meet, and
    /// the gradient there still matches finite differences of the loss.
    func testContinuousBernoulliIsSmoothThroughZero() throws {
        for l: Float in [-0.0101, -0.0099, 0.0099, 0.0101] {
            let d = Double(l)
            XCTAssertEqual(Double(ContinuousBernoulliHead.logNormalizer(l)), log(d / tanh(d / 2)), accuracy: 1e-6)
            XCTAssertEqual(Double(ContinuousBernoulliHead.logNormalizerSlope(l)), 1 / d - 1 / sinh(d), accuracy: 1e-6)
        }
        XCTAssertEqual(ContinuousBernoulliHead.logNormalizer(0), Float(log(2.0)))
    }

    /// A density: exp(-NLL) integrates to 1 over [0, 1] for any logit, its value at l = 2, x = 1
    /// by hand, and the mean it reports is the integral of x p(x).
    func testContinuousBernoulliIsANormalisedDensity() throws {
        let (scorer, _) = try makeHead(ContinuousBernoulliHead.self)
        let steps = 2000
        for logit: Float in [-6, -1.5, -0.004, 0, 0.3, 2, 9] {
            let xs = (0..<steps).map { (Float($0) + 0.5) / Float(steps) }
            let logits = FloatBuffer([Float](repeating: logit, count: steps)), x = FloatBuffer(xs), nll = FloatBuffer(count: steps)
            // One row per x value: a batch of `steps` rows of one pixel, in pieces of the scorer's capacity.
            var mass = 0.0, first = 0.0
            for start in stride(from: 0, to: steps, by: 8) {
                scorer.negativeLogLikelihood(logits: logits.pointer + start, targets: x.pointer + start, batch: 8, dimension: 1,
                                             nll: nll.pointer + start, dLogits: nil, scale: 1)
            }
            for i in 0..<steps { let p = exp(-Double(nll[i])); mass += p / Double(steps); first += Double(xs[i]) * p / Double(steps) }
            XCTAssertEqual(mass, 1, accuracy: 1e-4, "logit \(logit)")
            let mean = FloatBuffer(count: 1)
            scorer.head.mean(logits: logits.pointer, into: mean.pointer, count: 1)
            XCTAssertEqual(Double(mean[0]), first, accuracy: 1e-4, "mean at logit \(logit)")
        }
        let l = FloatBuffer([2]), x = FloatBuffer([1]), nll = FloatBuffer(count: 1)
        scorer.negativeLogLikelihood(logits: l.pointer, targets: x.pointer, batch: 1, dimension: 1, nll: nll.pointer, dLogits: nil, scale: 1)
        XCTAssertEqual(Double(nll[0]), log(1 + exp(2.0)) - 2 - log(2 / tanh(1.0)), accuracy: 1e-5)
    }

    func testBernoulliNLLIsBinaryCrossEntropy() throws {
        let (head, _) = try makeHead(BernoulliHead.self)
        let logits = FloatBuffer([0, 2, -3]), x = FloatBuffer([1, 0.25, 0]), nll = FloatBuffer(count: 1)
        head.negativeLogLikelihood(logits: logits.pointer, targets: x.pointer, batch: 1, dimension: 3, nll: nll.pointer, dLogits: nil, scale: 1)
        func bce(_ l: Double, _ t: Double) -> Double { let p = 1 / (1 + exp(-l)); return -(t * log(p) + (1 - t) * log(1 - p)) }
        XCTAssertEqual(Double(nll[0]), bce(0, 1) + bce(2, 0.25) + bce(-3, 0), accuracy: 1e-5)
    }

    func testBernoulliIsFiniteForHugeLogits() throws {
        let (head, _) = try makeHead(BernoulliHead.self)
        let logits = FloatBuffer([200, -200]), x = FloatBuffer([0, 1]), nll = FloatBuffer(count: 1), g = FloatBuffer(count: 2)
        head.negativeLogLikelihood(logits: logits.pointer, targets: x.pointer, batch: 1, dimension: 2, nll: nll.pointer, dLogits: g.pointer, scale: 1)
        XCTAssertEqual(nll[0], 400, accuracy: 1e-3)
        XCTAssertEqual(g.array, [1, -1])
    }

    func testGaussianNLLIncludesTheNormalisingConstant() throws {
        let (head, store) = try makeHead(GaussianHead.self)
        store.values[0] = Float(log(0.5))  // sigma = 1/2
        // logit 0 -> mean 1/2; x = 1 -> (x - m)^2 / (2 sigma^2) = 0.25 / 0.5 = 0.5
        let logits = FloatBuffer([0]), x = FloatBuffer([1]), nll = FloatBuffer(count: 1)
        head.negativeLogLikelihood(logits: logits.pointer, targets: x.pointer, batch: 1, dimension: 1, nll: nll.pointer, dLogits: nil, scale: 1)
        XCTAssertEqual(Double(nll[0]), 0.5 + log(0.5) + 0.5 * log(2 * Double.pi), accuracy: 1e-5)
    }

    func testGaussianRefusesBinarization() {
        XCTAssertThrowsError(try GaussianHead(options: HeadOptions(binarize: .threshold)))
    }

    func testBinarizationModes() throws {
        var rng = SplitMix64(seed: 1)
        let (threshold, _) = try makeHead(BernoulliHead.self, HeadOptions(binarize: .threshold))
        let x = FloatBuffer([0.2, 0.5, 0.51, 1])
        threshold.head.prepare(x.pointer, count: 4, rng: &rng)
        XCTAssertEqual(x.array, [0, 0, 1, 1])
        let (dynamic, _) = try makeHead(BernoulliHead.self, HeadOptions(binarize: .dynamic))
        let y = FloatBuffer([Float](repeating: 0.3, count: 10_000))
        dynamic.head.prepare(y.pointer, count: y.count, rng: &rng)
        XCTAssertTrue(y.array.allSatisfy { $0 == 0 || $0 == 1 })
        XCTAssertEqual(Double(y.array.reduce(0, +)) / 10_000, 0.3, accuracy: 0.02)
    }
}

/// Rows of `dimension` values scored in one batch: the NLLs, and d(sum NLL)/dlogits when asked
/// (asking is what a training step does: the optimal sigma is fitted then).
func score(_ scorer: HeadScorer, logits: [Float], targets: [Float], dimension: Int, gradients: Bool = false) -> (nll: [Float], dLogits: [Float]) {
    let rows = logits.count / dimension
    let l = FloatBuffer(logits), x = FloatBuffer(targets), nll = FloatBuffer(count: rows), g = FloatBuffer(count: logits.count)
    scorer.negativeLogLikelihood(logits: l.pointer, targets: x.pointer, batch: rows, dimension: dimension, nll: nll.pointer,
                                 dLogits: gradients ? g.pointer : nil, scale: 1)
    return (nll.array, g.array)
}

func sigmoid(_ l: Double) -> Double { 1 / (1 + exp(-l)) }

// MARK: - gaussian --sigma

extension HeadTests {
    func gaussian(_ sigma: GaussianSigma?, dimension: Int? = nil) throws -> (HeadScorer, ParameterStore) {
        try makeHead(GaussianHead.self, HeadOptions(sigma: sigma, dimension: dimension))
    }

    /// Checkpoints written before --sigma (no sigma key) load into today's head: one learned
    /// log sigma, shape [1], under its old name.
    func testGaussianLearnedSigmaIsTheDefaultAndKeepsItsParameter() throws {
        let old = try JSONDecoder().decode(HeadOptions.self, from: Data(#"{"binarize":"none"}"#.utf8))
        XCTAssertEqual(old, HeadOptions())
        for options in [old, HeadOptions(sigma: .learned, dimension: 784)] {
            XCTAssertEqual(try GaussianHead(options: options).parameterSpecs, [ParameterSpec(name: "log_sigma", shape: [1])])
        }
        XCTAssertEqual(try GaussianHead(options: HeadOptions(sigma: .pixel, dimension: 6)).parameterSpecs,
                       [ParameterSpec(name: "log_sigma", shape: [6])])
        XCTAssertEqual(try GaussianHead(options: HeadOptions(sigma: .fixed(1))).parameterSpecs, [])
    }

    func testSigmaModesRoundTripThroughACheckpointsConfiguration() throws {
        for sigma in [GaussianSigma.learned, .optimal, .pixel, .fixed(0.25)] {
            let options = HeadOptions(sigma: sigma, dimension: 12)
            let json = try JSONEncoder().encode(options)
            XCTAssertEqual(try JSONDecoder().decode(HeadOptions.self, from: json), options)
            XCTAssertTrue(String(decoding: json, as: UTF8.self).contains(sigma == .fixed(0.25) ? #""sigma":0.25"# : #""sigma":"\#(sigma)""#))
        }
        XCTAssertThrowsError(try JSONDecoder().decode(HeadOptions.self, from: Data(#"{"binarize":"none","sigma":"wide"}"#.utf8)))
        XCTAssertEqual(GaussianSigma("1"), .fixed(1))
        XCTAssertNil(GaussianSigma("sharp"))
        XCTAssertNotNil(GaussianSigma.fixed(0).problem)
        XCTAssertNotNil(GaussianSigma.fixed(.infinity).problem)
        XCTAssertNil(GaussianSigma.fixed(1e-3).problem)
    }

    /// Only the gaussian head has a sigma: any other refuses one, through the registry, where
    /// `train --sigma` meets it; and a per-value sigma needs the number of values.
    func testSigmaIsRefusedByHeadsWithoutOne() throws {
        let registry = BuiltinPlugins.registry()
        for id in ["bernoulli", "cbernoulli", "logistic"] {
            XCTAssertThrowsError(try registry.head(id).make(HeadOptions(sigma: .optimal, dimension: 4))) { error in
                XCTAssertEqual("\(error)", "--sigma is an option of the gaussian head; the \(id) head has no sigma")
            }
        }
        for sigma in [GaussianSigma.learned, .optimal, .pixel, .fixed(2)] {
            XCTAssertNoThrow(try registry.head("gaussian").make(HeadOptions(sigma: sigma, dimension: 4)))
        }
        XCTAssertThrowsError(try GaussianHead(options: HeadOptions(sigma: .pixel)))
        XCTAssertThrowsError(try GaussianHead(options: HeadOptions(sigma: .fixed(-1))))
    }

    func testGaussianFixedSigmaGradientsMatchFiniteDifferences() throws {
        let (scorer, store) = try gaussian(.fixed(0.3))
        GradientCheck.checkHead(scorer, store)
    }

    /// sigma 1: half the squared error plus the constant, as the tutorials' "MSE" VAE (with the
    /// constant, so nats compare across heads).
    func testGaussianFixedSigmaByHand() throws {
        let (scorer, _) = try gaussian(.fixed(1))
        let r = score(scorer, logits: [0, 2, -1], targets: [1, 0.25, 0], dimension: 3)
        let sq = pow(1 - 0.5, 2) + pow(0.25 - sigmoid(2), 2) + pow(sigmoid(-1), 2)
        XCTAssertEqual(Double(r.nll[0]), 0.5 * sq + 3 * 0.5 * log(2 * Double.pi), accuracy: 1e-5)
        let (half, _) = try gaussian(.fixed(0.5))
        XCTAssertEqual(Double(score(half, logits: [0], targets: [1], dimension: 1).nll[0]), 0.5 + log(0.5) + 0.5 * log(2 * Double.pi), accuracy: 1e-5)
    }

    func testGaussianPixelSigmaGradientsMatchFiniteDifferences() throws {
        let (scorer, store) = try gaussian(.pixel, dimension: 5)
        for (i, v) in GradientCheck.random(5, seed: 7, scale: 1).enumerated() { store.values[i] = v - 0.5 }
        GradientCheck.checkHead(scorer, store)
    }

    func testGaussianPixelSigmaByHand() throws {
        let (scorer, store) = try gaussian(.pixel, dimension: 2)
        store.values[0] = Float(log(0.5)); store.values[1] = Float(log(2.0))
        // Two rows: means 1/2 each; (x - m)^2 / (2 sigma^2) per value, log sigma per value.
        let r = score(scorer, logits: [0, 0, 0, 0], targets: [1, 0, 0.5, 0.5], dimension: 2)
        let constant = log(0.5) + log(2.0) + log(2 * Double.pi)
        XCTAssertEqual(Double(r.nll[0]), 0.25 / 0.5 + 0.25 / 8 + constant, accuracy: 1e-5)
        XCTAssertEqual(Double(r.nll[1]), constant, accuracy: 1e-5)
    }

    /// The optimal sigma moves with the logits, but d NLL / d sigma = 0 there, so the gradient of
    /// the whole function (sigma* refitted at every finite-difference step) is that at a fixed
    /// sigma*; the stored sigma's own gradient is 0, so Adam never moves it.
    func testGaussianOptimalSigmaGradientsAreThoseOfTheWholeObjective() throws {
        let (scorer, store) = try gaussian(.optimal)
        GradientCheck.checkHead(scorer, store, asTraining: true)
        XCTAssertEqual(store.gradients[0], 0)
    }

    /// sigma*^2 is the batch's mean squared error (by hand, in Double); the NLL there is below
    /// that of any fixed sigma near it; the gradients are those of a fixed sigma = sigma*.
    func testGaussianOptimalSigmaIsTheMeanSquaredErrorAndMinimisesTheNLL() throws {
        let (scorer, store) = try gaussian(.optimal)
        let logits = GradientCheck.random(12, seed: 3, scale: 2), targets = GradientCheck.random(12, seed: 4).map { ($0 + 1) / 2 }
        let optimal = score(scorer, logits: logits, targets: targets, dimension: 4, gradients: true)
        let mse = zip(logits, targets).map { pow(Double($1) - sigmoid(Double($0)), 2) }.reduce(0, +) / 12
        XCTAssertEqual(Double(exp(store.values[0])), mse.squareRoot(), accuracy: 1e-6)
        let best = optimal.nll.map(Double.init).reduce(0, +)
        // At sigma*: the mean of (x - m)^2 / (2 sigma*^2) is exactly 1/2 per value.
        XCTAssertEqual(best, 12 * (0.5 + 0.5 * log(mse) + 0.5 * log(2 * Double.pi)), accuracy: 1e-4)
        for factor in [0.9, 0.99, 1.01, 1.1] {
            let (fixed, _) = try gaussian(.fixed(Float(mse.squareRoot() * factor)))
            let other = score(fixed, logits: logits, targets: targets, dimension: 4, gradients: true)
            XCTAssertGreaterThan(other.nll.map(Double.init).reduce(0, +), best, "sigma* x \(factor)")
        }
        let (atOptimum, _) = try gaussian(.fixed(exp(store.values[0])))
        let same = score(atOptimum, logits: logits, targets: targets, dimension: 4, gradients: true)
        for (a, b) in zip(optimal.dLogits, same.dLogits) { XCTAssertEqual(a, b, accuracy: 1e-6 * max(1, abs(b))) }
    }

    /// Evaluation (no gradients asked for) scores with the sigma the last training batch fitted,
    /// a fixed density, and leaves it as it is; a perfect fit is floored at 1e-3.
    func testGaussianOptimalSigmaIsKeptForEvaluationAndFloored() throws {
        let (scorer, store) = try gaussian(.optimal)
        XCTAssertEqual(store.values[0], 0)  // sigma = 1 until a training batch fits one
        let logits: [Float] = [0.4, -1, 2, 0.1]
        _ = score(scorer, logits: logits, targets: logits.map { Float(sigmoid(Double($0))) }, dimension: 4, gradients: true)
        XCTAssertEqual(Double(store.values[0]), log(1e-3), accuracy: 1e-5)
        _ = score(scorer, logits: [0, 0], targets: [0.9, 0.2], dimension: 2, gradients: true)
        let fitted = store.values[0]
        XCTAssertEqual(Double(fitted), 0.5 * log((0.16 + 0.09) / 2), accuracy: 1e-6)
        let evaluated = score(scorer, logits: [1, -1], targets: [0, 1], dimension: 2)
        XCTAssertEqual(store.values[0], fitted)
        let (fixed, _) = try gaussian(.fixed(exp(fitted)))
        XCTAssertEqual(evaluated.nll[0], score(fixed, logits: [1, -1], targets: [0, 1], dimension: 2).nll[0], accuracy: 1e-5)
    }
}

// MARK: - logistic

extension HeadTests {
    func logistic(dimension: Int, logScales: [Float]? = nil, capacity: Int = 8) throws -> (HeadScorer, ParameterStore) {
        let (scorer, store) = try makeHead(LogisticHead.self, HeadOptions(dimension: dimension), capacity: capacity)
        if let logScales { for (i, s) in logScales.enumerated() { store.values[i] = s } }
        return (scorer, store)
    }

    /// P(x = k/255) in Double, from the difference of the two CDFs (the oracle: no log-space tricks).
    func logisticProbability(level k: Int, logit: Double, logScale: Double) -> Double {
        let m = sigmoid(logit), s = exp(logScale), h = 1.0 / 510, x = Double(k) / 255
        let upper = k == 255 ? 1 : sigmoid((x + h - m) / s), lower = k == 0 ? 0 : sigmoid((x - h - m) / s)
        return upper - lower
    }

    func testLogisticGradientsMatchFiniteDifferences() throws {
        let logScales = GradientCheck.random(5, seed: 9).map { $0 - 2.5 }  // scales of about 2 to 20 levels
        let (scorer, store) = try logistic(dimension: 5, logScales: logScales)
        // On levels, the edge levels 0 and 255 among them (they take the tails), and off them.
        let levels: [Float] = [0, 1, 3, 128, 254, 255, 0, 77, 255, 200, 1, 0, 255, 12, 250].map { $0 / 255 }
        GradientCheck.checkHead(scorer, store, targets: levels)
        GradientCheck.checkHead(scorer, store)
    }

    /// The NLL of each level against the CDF difference in Double, edges included.
    func testLogisticByHand() throws {
        let (scorer, _) = try logistic(dimension: 4, logScales: [-2, -3, -1.5, -4])
        let logits: [Float] = [0.3, -2, 1.2, 0], levels = [100, 0, 255, 130]
        let r = score(scorer, logits: logits, targets: levels.map { Float($0) / 255 }, dimension: 4)
        let expected = zip(zip(levels, logits), [-2.0, -3, -1.5, -4]).map { pair, ls in
            -log(logisticProbability(level: pair.0, logit: Double(pair.1), logScale: ls))
        }.reduce(0, +)
        XCTAssertEqual(Double(r.nll[0]), expected, accuracy: 1e-4)
    }

    /// A true probability: over the 256 levels, for locations in and at the edges of [0, 1] and
    /// scales from a fraction of a level to wider than the range, it adds up to 1.
    func testLogisticProbabilitiesOverTheLevelsAddUpToOne() throws {
        for logScale: Float in [-8, -5, -3, -1, 1] {
            let (scorer, _) = try logistic(dimension: 1, logScales: [logScale], capacity: 256)
            for logit: Float in [-9, -1.3, 0, 0.4, 3, 12] {
                let r = score(scorer, logits: [Float](repeating: logit, count: 256), targets: (0..<256).map { Float($0) / 255 }, dimension: 1)
                let total = r.nll.map { exp(-Double($0)) }.reduce(0, +)
                // A bin edge is known to Float's rounding of k/255 and m (about 3e-8); at a scale of a
                // tenth of a level that moves a CDF by up to about 1e-5.
                XCTAssertEqual(total, 1, accuracy: logScale < -6 ? 1e-4 : 1e-5, "logit \(logit), log scale \(logScale)")
            }
        }
    }

    /// A value on its location with s = h / ln 3 has P = tanh(h / 2s) = 1/2: exactly one bit per
    /// dimension, with no dequantisation term (the head is discrete).
    func testLogisticBitsPerDimensionOfAKnownCase() throws {
        let s = Double(LogisticHead.halfLevel) / log(3)
        let (scorer, _) = try logistic(dimension: 3, logScales: [Float](repeating: Float(log(s)), count: 3))
        let levels = [64.0, 128, 200].map { $0 / 255 }
        let r = score(scorer, logits: levels.map { Float(log($0 / (1 - $0))) }, targets: levels.map(Float.init), dimension: 3)
        XCTAssertEqual(Double(r.nll[0]) / (3 * M_LN2), 1, accuracy: 1e-4)
        XCTAssertTrue(scorer.head.isDiscrete)
    }

    /// Far in a tail both CDFs round to 1 (or 0) in Float and their difference to 0; the log-space
    /// form still gives the exact NLL (here against Double, where the difference survives).
    func testLogisticIsExactFarInTheTails() throws {
        let logScale = Float(log(0.003))
        let (scorer, _) = try logistic(dimension: 2, logScales: [logScale, logScale])
        let logits: [Float] = [-4.6, 3], levels = [230, 20]
        XCTAssertEqual(Float(1 / (1 + exp(-((230.0 / 255 - 0.5 / 255 - 0.01) / 0.003)))), 1)  // Float's difference would be 0
        let r = score(scorer, logits: logits, targets: levels.map { Float($0) / 255 }, dimension: 2, gradients: true)
        let expected = zip(levels, logits).map { -log(logisticProbability(level: $0, logit: Double($1), logScale: Double(logScale))) }.reduce(0, +)
        XCTAssertGreaterThan(expected, 400)
        XCTAssertEqual(Double(r.nll[0]), expected, accuracy: 1e-5 * expected)
        XCTAssertTrue(r.dLogits.allSatisfy(\.isFinite))
    }

    func testLogisticRefusesBinarizationAndNeedsTheDimension() throws {
        XCTAssertThrowsError(try LogisticHead(options: HeadOptions(binarize: .dynamic, dimension: 4)))
        XCTAssertThrowsError(try LogisticHead(options: HeadOptions()))
        let (scorer, _) = try logistic(dimension: 3)
        XCTAssertEqual(scorer.head.parameterSpecs, [ParameterSpec(name: "log_scale", shape: [3])])
        // Held in a constant: a temporary buffer would be freed before the head reads it (ASan).
        let logits = FloatBuffer([-40, 0, 40]), means = FloatBuffer(count: 3)
        scorer.head.mean(logits: logits.pointer, into: means.pointer, count: 3)
        XCTAssertTrue(means.array.allSatisfy { $0 >= 0 && $0 <= 1 })
    }
}

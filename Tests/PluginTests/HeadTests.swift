import Foundation
import VAEPipeBuiltinPlugins
import VAEPipeTestSupport
import XCTest

final class HeadTests: XCTestCase {
    /// The head as the model drives it: through a scorer bound to a store of its parameters.
    func makeHead(_ type: any LikelihoodHead.Type, _ options: HeadOptions = HeadOptions()) throws -> (HeadScorer, ParameterStore) {
        let head = try type.init(options: options)
        let store = ParameterStore(specs: head.parameterSpecs)
        let scorer = HeadScorer(head: head, capacity: 8)
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

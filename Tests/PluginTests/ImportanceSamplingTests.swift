import Foundation
import VAEPipeBuiltinPlugins
import VAEPipeTestSupport
import XCTest

/// The importance-sampled log p(x) against log p(x) computed by brute force: on a model with one
/// latent dimension, the integral of p(x | z) N(z; 0, 1) over z by the trapezoid rule.
final class ImportanceSamplingTests: XCTestCase {
    func testIWAEConvergesToTheIntegralAndBoundsItFromBelow() throws {
        let heads: [any LikelihoodHead] = [
            BernoulliHead(options: HeadOptions()), try GaussianHead(options: HeadOptions()),
            try GaussianHead(options: HeadOptions(sigma: .pixel, dimension: 4)), try ContinuousBernoulliHead(options: HeadOptions()),
            try LogisticHead(options: HeadOptions(dimension: 4)),
        ]
        for head in heads {
            let shape = ImageShape(height: 2, width: 2, channels: 1)
            let model = VAE(config: ModelConfig(shape: shape, hidden: 6, latent: 1, head: type(of: head).id), head: head, capacity: 64)
            model.initialize(seed: 11)
            let pixels: [UInt8] = [0, 255, 128, 30, 200, 10, 90, 250, 255, 255, 0, 0]
            let set = ImageSet(shape: shape, pixels: pixels)

            // Brute force, example by example: log of the trapezoid sum of exp(-nll(z)) N(z) over a fine grid.
            var exact = 0.0
            let grid = stride(from: -10.0, through: 10.0, by: 0.005).map { Float($0) }
            let targets = FloatBuffer(count: 64 * 4), nll = FloatBuffer(count: 64), z = FloatBuffer(count: 64)
            for i in 0..<set.count {
                let x = FloatBuffer(count: 4)
                try set.copyNormalized(i, into: x.pointer)
                for r in 0..<64 { (targets.pointer + r * 4).update(from: x.pointer, count: 4) }
                var terms: [Double] = []
                var at = 0
                while at < grid.count {
                    let b = min(64, grid.count - at)
                    for r in 0..<b { z[r] = grid[at + r] }
                    model.reconstructionNLL(z.pointer, targets: targets.pointer, batch: b, into: nll.pointer)
                    for r in 0..<b {
                        let zz = Double(grid[at + r])
                        terms.append(-Double(nll[r]) - 0.5 * zz * zz - 0.5 * log(2 * Double.pi))
                    }
                    at += b
                }
                let top = terms.max()!
                let sum = terms.enumerated().reduce(0.0) { acc, t in
                    acc + exp(t.element - top) * ((t.offset == 0 || t.offset == terms.count - 1) ? 0.5 : 1)
                }
                exact += top + log(sum * 0.005)
            }
            exact /= Double(set.count)

            let one = try Evaluator.importanceSampled(model, on: set, samples: 1, seed: 3)
            let many = try Evaluator.importanceSampled(model, on: set, samples: 5000, seed: 3)
            XCTAssertEqual(many.logLikelihood, exact, accuracy: 0.01, "\(type(of: head).id): K=5000 against the integral")
            XCTAssertLessThan(one.logLikelihood, many.logLikelihood, "\(type(of: head).id): one sample bounds lower")
            XCTAssertEqual(one.logLikelihood, one.elbo, accuracy: 1e-9, "with one sample the estimate is the sampled ELBO")
            XCTAssertEqual(many.bitsPerDimension,
                           (many.dequantization - many.logLikelihood) / (4 * log(2)), accuracy: 1e-12)
            XCTAssertEqual(many.dequantization, head.isDiscrete ? 0 : 4 * log(256), accuracy: 1e-12)
        }
    }
}

import VAEPipeBuiltinPlugins
import VAEPipeTestSupport
import XCTest

/// The whole model's backward (decoder, head, reparameterisation, KL, encoder) against finite
/// differences of the batch-mean loss, with the sampling noise held fixed by the seed.
final class VAEGradientTests: XCTestCase {
    func check(_ head: any LikelihoodHead) {
        let shape = ImageShape(height: 2, width: 3, channels: 1)
        let config = ModelConfig(shape: shape, hidden: 4, latent: 2, head: type(of: head).id)
        let model = VAE(config: config, head: head, capacity: 3)
        model.initialize(seed: 3)
        var rng = SplitMix64(seed: 4)
        let x = FloatBuffer((0..<18).map { _ in rng.nextUniform() })
        func loss() -> Double {
            var r = SplitMix64(seed: 9)
            return model.evaluate(x.pointer, batch: 3, rng: &r).negELBO / 3
        }
        var r = SplitMix64(seed: 9)
        let l = model.trainStep(x.pointer, batch: 3, rng: &r)
        XCTAssertEqual(l.negELBO / 3, loss(), accuracy: 1e-4)
        GradientCheck.assertMatches(model.parameters.values.pointer, count: model.parameters.count,
                                    analytic: model.parameters.gradients.array, label: "dθ", loss)
    }

    func testBernoulliVAEGradientsMatchFiniteDifferences() { check(BernoulliHead(options: HeadOptions())) }
    func testGaussianVAEGradientsMatchFiniteDifferences() throws { check(try GaussianHead(options: HeadOptions())) }

    func testTrainingLowersTheLossOnTinyData() throws {
        // 64 copies of 4 patterns: a few hundred steps must fit them well below the starting loss.
        let shape = ImageShape(height: 4, width: 4, channels: 1)
        var pixels: [UInt8] = []
        for i in 0..<64 { for p in 0..<16 { pixels.append((p + i % 4) % 4 == 0 ? 255 : 0) } }
        let set = ImageSet(shape: shape, pixels: pixels)
        let model = VAE(config: ModelConfig(shape: shape, hidden: 32, latent: 2, head: "bernoulli"),
                        head: BernoulliHead(options: HeadOptions()), capacity: 16)
        model.initialize(seed: 1)
        var options = TrainOptions(); options.batchSize = 16; options.learningRate = 1e-2
        let trainer = Trainer(model: model, train: set, test: set, options: options)
        let first = try trainer.runEpoch(1)
        var last = first
        for e in 2...60 { last = try trainer.runEpoch(e) }
        XCTAssertLessThan(last.testNegELBO!, 0.3 * first.testNegELBO!)
    }
}

import VAEPipeBuiltinPlugins
import VAEPipeTestSupport
import XCTest

/// The whole model's backward (decoder, head, reparameterisation, KL, encoder) against finite
/// differences of the batch-mean loss, with the sampling noise held fixed by the seed.
final class VAEGradientTests: XCTestCase {
    func check(_ head: any LikelihoodHead, architecture: String = "mlp", stride: Int = 1) {
        let shape = architecture == "mlp" ? ImageShape(height: 2, width: 3, channels: 1) : ImageShape(height: 4, width: 4, channels: 2)
        let config = ModelConfig(architecture: architecture, shape: shape, hidden: 4, latent: 2, width: 2,
                                 blocks: ["resnet", "hvae"].contains(architecture) ? 1 : nil, head: type(of: head).id)
        let model = VAE(config: config, head: head, capacity: 3)
        model.initialize(seed: 3)
        var rng = SplitMix64(seed: 4)
        let x = FloatBuffer((0..<(3 * shape.count)).map { _ in rng.nextUniform() })
        func loss() -> Double {
            var r = SplitMix64(seed: 9)
            return model.evaluate(x.pointer, batch: 3, rng: &r).negELBO / 3
        }
        var r = SplitMix64(seed: 9)
        let l = model.trainStep(x.pointer, batch: 3, rng: &r)
        XCTAssertEqual(l.negELBO / 3, loss(), accuracy: 1e-4)
        GradientCheck.assertMatches(model.parameters.values.pointer, count: model.parameters.count,
                                    analytic: model.parameters.gradients.array, label: "dθ", stride: stride, loss)
    }

    func testBernoulliVAEGradientsMatchFiniteDifferences() { check(BernoulliHead(options: HeadOptions())) }
    func testGaussianVAEGradientsMatchFiniteDifferences() throws { check(try GaussianHead(options: HeadOptions())) }
    func testGaussianPixelSigmaVAEGradientsMatchFiniteDifferences() throws {
        check(try GaussianHead(options: HeadOptions(sigma: .pixel, dimension: 6)))
    }
    func testLogisticVAEGradientsMatchFiniteDifferences() throws { check(try LogisticHead(options: HeadOptions(dimension: 6))) }
    /// 4x4x2 padded to 16x16: pad, two convs, dense layers, two transposed convs, crop. Few pixels,
    /// so the Float loss is small enough for finite differences to resolve.
    func testConvVAEGradientsMatchFiniteDifferences() { check(BernoulliHead(options: HeadOptions()), architecture: "conv") }

    /// The resnet at 4x4x2 padded to 16x16: two resolutions, a residual block at each on both sides.
    func testResNetVAEGradientsMatchFiniteDifferences() throws {
        check(try GaussianHead(options: HeadOptions()), architecture: "resnet")
    }

    /// The hierarchy at 4x4x2 padded to 16x16: sides 8 and 4, one top-down block with its
    /// latent group at each, residual blocks in the encoder, the learned start and the transposed output conv
    /// (every third parameter: each perturbation runs the whole model twice; HierarchyTests checks
    /// every parameter of a block).
    func testHierarchicalVAEGradientsMatchFiniteDifferences() throws {
        check(try GaussianHead(options: HeadOptions()), architecture: "hvae", stride: 3)
    }

    /// The layer list the PyTorch twin (Benchmarks/torch_resnet_vae.py) builds, by parameter names and count.
    func testResNetArchitectureIsTheDocumentedStack() {
        let config = ModelConfig(architecture: "resnet", shape: ImageShape(height: 28, width: 28, channels: 1),
                                 latent: 8, width: 4, blocks: 2, head: "bernoulli")
        XCTAssertNil(config.problem)
        let specs = VAE.parameterSpecs(config: config, head: BernoulliHead(options: HeadOptions()))
        // Padded to 32: stages at 16 (4 channels), 8 (8), 4 (16). Encoder: pad, then per stage
        // [SiLU] conv and two blocks; SiLU, Linear.
        XCTAssertEqual(specs.first?.name, "encoder.1.weight")
        XCTAssertEqual(specs.first?.shape, [4, 4, 1, 4])
        XCTAssertTrue(specs.contains { $0.name == "encoder.2.7.weight" && $0.shape == [1, 1, 2, 4] }, "the first block's last 1x1 conv")
        XCTAssertTrue(specs.contains { $0.name == "encoder.2.3.weight" && $0.shape == [3, 3, 2, 2] })
        XCTAssertTrue(specs.contains { $0.name == "decoder.0.weight" && $0.shape == [8, 256] })
        let convs = specs.filter { $0.name.hasSuffix("weight") && $0.shape.count == 4 }.count
        XCTAssertEqual(convs, 3 + 3 * 2 * 4 + 3 * 2 * 4, "3 strided convs, 4 per block on both sides (transposed convs store 2-D weights)")
        let count = specs.reduce(0) { $0 + $1.count }
        let model = VAE(config: config, head: BernoulliHead(options: HeadOptions()), capacity: 1)
        XCTAssertEqual(model.parameters.count, count)
        XCTAssertNotNil(ModelConfig(architecture: "resnet", shape: ImageShape(height: 32, width: 32, channels: 3), head: "bernoulli").problem,
                        "a resnet needs its blocks")
    }

    func testConvArchitectureMatchesTheReferenceParameterCount() {
        // ../shared/bench/torch_vae.py --model conv has 1,404,801 parameters (28x28 padded to 32, latent 32).
        let config = ModelConfig(architecture: "conv", shape: ImageShape(height: 28, width: 28, channels: 1),
                                 hidden: 256, latent: 32, head: "bernoulli")
        XCTAssertNil(config.problem)
        XCTAssertEqual(config.paddedSide, 32)
        XCTAssertEqual(VAE(config: config, head: BernoulliHead(options: HeadOptions()), capacity: 1).parameters.count, 1_404_801)
    }

    func testConvRejectsSizesItCannotPad() {
        XCTAssertNotNil(ModelConfig(architecture: "conv", shape: ImageShape(height: 27, width: 27, channels: 1), head: "bernoulli").problem)
        XCTAssertNotNil(ModelConfig(architecture: "conv", shape: ImageShape(height: 256, width: 256, channels: 3), head: "bernoulli").problem)
        XCTAssertNotNil(ModelConfig(architecture: "conv", shape: ImageShape(height: 32, width: 16, channels: 3), head: "bernoulli").problem)
        XCTAssertNil(ModelConfig(architecture: "conv", shape: ImageShape(height: 64, width: 64, channels: 4), head: "bernoulli").problem)
    }

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

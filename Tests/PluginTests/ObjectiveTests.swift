import Foundation
import VAEPipeBuiltinPlugins
import VAEPipeTestSupport
import XCTest

/// β, KL warm-up and free bits: the weights they give and the gradients of the weighted loss.
final class ObjectiveTests: XCTestCase {
    func testKLWeightRisesLinearlyOverTheWarmUp() {
        let o = Objective(beta: 4, klWarmupEpochs: 2)
        XCTAssertEqual(o.klWeight(epoch: 1, step: 0, stepsPerEpoch: 10), 0)
        XCTAssertEqual(o.klWeight(epoch: 1, step: 5, stepsPerEpoch: 10), 1)
        XCTAssertEqual(o.klWeight(epoch: 2, step: 0, stepsPerEpoch: 10), 2)
        XCTAssertEqual(o.klWeight(epoch: 3, step: 0, stepsPerEpoch: 10), 4)
        XCTAssertEqual(o.klWeight(epoch: 9, step: 3, stepsPerEpoch: 10), 4)
        XCTAssertEqual(Objective(beta: 0.5).klWeight(epoch: 1, step: 0, stepsPerEpoch: 10), 0.5)
        XCTAssertTrue(Objective().isELBO)
        XCTAssertEqual(Objective().name, "neg-ELBO")
        XCTAssertEqual(Objective(beta: 4, klWarmupEpochs: 2, freeBits: 0.5).name,
                       "objective (β 4.0, KL warm-up 2 epochs, free bits 0.5 nats/dim)")
    }

    /// d/dθ of mean(rec) + sum_j w_j mean(KL_j), with one dimension weighted 3 and one held at 0
    /// (as free bits hold a dimension under its floor), against finite differences.
    func testWeightedKLGradientsMatchFiniteDifferences() {
        let shape = ImageShape(height: 2, width: 3, channels: 1)
        let model = VAE(config: ModelConfig(shape: shape, hidden: 4, latent: 2, head: BernoulliHead.id),
                        head: BernoulliHead(options: HeadOptions()), capacity: 3)
        model.initialize(seed: 3)
        model.klWeights[0] = 3; model.klWeights[1] = 0
        var rng = SplitMix64(seed: 4)
        let x = FloatBuffer((0..<(3 * shape.count)).map { _ in rng.nextUniform() })
        func loss() -> Double {
            var r = SplitMix64(seed: 9)
            let l = model.trainingForward(x.pointer, batch: 3, rng: &r)
            return (l.reconstruction + 3 * model.klPerDimension[0]) / 3
        }
        var r = SplitMix64(seed: 9)
        model.trainStep(x.pointer, batch: 3, rng: &r)
        let analytic = model.parameters.gradients.array
        GradientCheck.assertMatches(model.parameters.values.pointer, count: model.parameters.count,
                                    analytic: analytic, label: "dθ", loss)
    }

    /// Free bits: a dimension whose batch-mean KL is under the floor gets weight 0 and counts as
    /// the floor in the objective; the others get the KL weight.
    func testFreeBitsHoldDimensionsUnderTheFloor() throws {
        let shape = ImageShape(height: 4, width: 4, channels: 1)
        let head = BernoulliHead(options: HeadOptions())
        let model = VAE(config: ModelConfig(shape: shape, hidden: 8, latent: 4, head: BernoulliHead.id), head: head, capacity: 8)
        model.initialize(seed: 2)
        var options = TrainOptions()
        options.batchSize = 8; options.objective = Objective(beta: 1, freeBits: 1e6)  // every dimension under
        let set = ImageSet(shape: shape, pixels: Fixtures.patternImages(count: 8, side: 4))
        let trainer = Trainer(model: model, train: set, test: nil, options: options)
        let report = try trainer.runEpoch(1)
        XCTAssertEqual(model.klWeights.array, [0, 0, 0, 0])
        // One step of 8: the objective is reconstruction + 4 dimensions x 1e6 nats.
        XCTAssertEqual(try XCTUnwrap(report.trainObjective), report.trainReconstruction + 4e6, accuracy: 1e-3)
    }
}

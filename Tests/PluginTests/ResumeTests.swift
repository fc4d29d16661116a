import Foundation
import VAEPipeBuiltinPlugins
import VAEPipeTestSupport
import XCTest

/// A run stopped at any step and restored from its checkpoint in a fresh trainer must end
/// with exactly the weights of a run that never stopped.
final class ResumeTests: XCTestCase {
    let shape = ImageShape(height: 6, width: 6, channels: 1)

    func makeTrainer(binarize: Binarization = .dynamic, objective: Objective = Objective(), aids: TrainingAids = TrainingAids(),
                     horizon: Int? = nil) throws -> Trainer {
        let head = BernoulliHead(options: HeadOptions(binarize: binarize))
        let config = ModelConfig(shape: shape, hidden: 16, latent: 3, head: BernoulliHead.id, headOptions: head.options)
        let model = VAE(config: config, head: head, capacity: 8, samples: objective.samples,
                        importanceWeighted: objective.bound == .iwae)
        model.initialize(seed: 5)
        var options = TrainOptions()
        options.batchSize = 8; options.seed = 11; options.learningRate = 0.01; options.objective = objective
        options.aids = aids; options.horizonEpochs = horizon
        let train = ImageSet(shape: shape, pixels: Fixtures.patternImages(count: 44, side: 6))
        let test = ImageSet(shape: shape, pixels: Fixtures.patternImages(count: 8, side: 6))
        return Trainer(model: model, train: train, test: test, options: options)
    }

    func testStoppedAndRestoredRunEndsWithIdenticalWeights() throws {
        try checkResume(Objective())
    }

    /// The same with β, a KL warm-up that ends mid-run and free bits: their state is the position.
    func testStoppedAndRestoredRunWithAnObjectiveEndsWithIdenticalWeights() throws {
        try checkResume(Objective(beta: 2, klWarmupEpochs: 2, freeBits: 0.05))
    }

    /// The IWAE bound and a several-sample ELBO: their noise is drawn per example, as the ELBO's.
    func testStoppedAndRestoredRunWithMoreSamplesEndsWithIdenticalWeights() throws {
        try checkResume(Objective(bound: .iwae, samples: 3))
        try checkResume(Objective(samples: 2))
    }

    /// Every training aid at once: a cosine schedule after warm-up, flips, a weight average and
    /// clipping tight enough to act; then the same with the schedule planned after the first
    /// epoch, as a time budget does.
    func testStoppedAndRestoredRunWithTrainingAidsEndsWithIdenticalWeights() throws {
        var aids = TrainingAids()
        aids.schedule = .cosine; aids.warmup = 4; aids.flip = true; aids.ema = 0.9; aids.clipGrad = 1
        try checkResume(Objective(), aids: aids, horizon: 3)
        let planned = try checkResume(Objective(), aids: aids, horizon: nil, planAfterFirstEpoch: true)
        XCTAssertEqual(planned.state.scheduleEpochs, 3)
        XCTAssertEqual(planned.state.scheduleStart, 6)
        XCTAssertGreaterThan(planned.state.reports.compactMap(\.clippedSteps).reduce(0, +), 0, "the clipping never acted")
        XCTAssertEqual(planned.optimizer.learningRate, 0.01 * 0.5 * (1 + cos(Float.pi * 11 / 12)), accuracy: 1e-7,
                       "the last step of epoch 3: step 17 of the horizon 6..<18")
        // The checkpoint's plain names hold the average; the weights under training sit beside them.
        let ckpt = try Checkpoint.decode(try Checkpoint(trainer: planned).encoded(), path: "mem")
        let store = planned.model.parameters
        XCTAssertEqual(ckpt.tensor(store.specs[0].name)?.values, Array(planned.average!.values.array[0..<store.specs[0].count]))
        XCTAssertEqual(ckpt.tensor("training." + store.specs[0].name)?.values, Array(store.values.array[0..<store.specs[0].count]))
        XCTAssertNotEqual(planned.average!.values.array, store.values.array)
    }

    @discardableResult
    func checkResume(_ objective: Objective, aids: TrainingAids = TrainingAids(), horizon: Int? = nil,
                     planAfterFirstEpoch: Bool = false) throws -> Trainer {
        func makeTrainer(objective: Objective) throws -> Trainer { try self.makeTrainer(objective: objective, aids: aids, horizon: horizon) }
        let reference = try makeTrainer(objective: objective)
        for epoch in 1...3 {
            _ = try reference.runEpoch(epoch)
            if planAfterFirstEpoch && epoch == 1 { reference.planSchedule(epochs: 3) }
        }
        XCTAssertEqual(reference.state.reports.allSatisfy { $0.trainObjective != nil }, !objective.isELBO)
        XCTAssertEqual(reference.state.reports.allSatisfy { $0.trainObjective == nil }, objective.isELBO)

        // 44 examples / batch 8 = 6 steps per epoch; stop in the middle of epoch 2.
        let first = try makeTrainer(objective: objective)
        _ = try first.runEpoch(1)
        if planAfterFirstEpoch { first.planSchedule(epochs: 3) }
        var steps = 0
        XCTAssertNil(try first.continueEpoch(shouldStop: { steps += 1; return steps == 4 }))
        XCTAssertEqual(first.state.epoch, 2)
        XCTAssertEqual(first.state.step, 4)
        let saved = try Checkpoint(trainer: first).encoded()

        let second = try makeTrainer(objective: objective)
        try second.restore(from: try Checkpoint.decode(saved, path: "mem"), path: "mem")
        XCTAssertEqual(second.state, first.state)
        while second.state.epoch <= 3 { XCTAssertNotNil(try second.continueEpoch()) }

        XCTAssertEqual(second.model.parameters.values.array, reference.model.parameters.values.array)
        XCTAssertEqual(second.optimizer.m.array, reference.optimizer.m.array)
        XCTAssertEqual(second.optimizer.step, reference.optimizer.step)
        let a = second.state.reports, b = reference.state.reports
        XCTAssertEqual(a.map(\.trainLoss), b.map(\.trainLoss))
        XCTAssertEqual(a.map(\.trainObjective), b.map(\.trainObjective))
        XCTAssertEqual(a.map(\.testNegELBO), b.map(\.testNegELBO))
        XCTAssertEqual(second.average?.values.array, reference.average?.values.array)
        XCTAssertEqual(a.map(\.clippedSteps), b.map(\.clippedSteps))
        return second
    }

    func testWeightsOnlyCheckpointCannotBeResumed() throws {
        let trainer = try makeTrainer()
        let ckpt = Checkpoint(model: trainer.model)
        XCTAssertThrowsError(try trainer.restore(from: ckpt, path: "w.safetensors")) { error in
            XCTAssertTrue("\(error)".contains("w.safetensors"), "\(error)")
            XCTAssertTrue("\(error)".contains("no training state"), "\(error)")
        }
    }

    func testCheckpointNamesOptimizerMomentsByLayer() throws {
        let trainer = try makeTrainer()
        _ = try trainer.runEpoch(1)
        let ckpt = try Checkpoint.decode(try Checkpoint(trainer: trainer).encoded(), path: "mem")
        let m = try XCTUnwrap(ckpt.tensor("optimizer.m.encoder.0.weight"))
        XCTAssertEqual(m.shape, [36, 16])
        XCTAssertNotEqual(m.values.map(abs).max(), 0)
        let state = try XCTUnwrap(try ckpt.trainingState(path: "mem"))
        XCTAssertEqual(state.epoch, 2)
        XCTAssertEqual(state.adamStep, 6)
        XCTAssertEqual(state.reports.count, 1)
    }
}

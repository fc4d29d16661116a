import Foundation

public struct TrainOptions: Sendable {
    public var batchSize: Int = 128
    public var learningRate: Float = 1e-3
    public var seed: UInt64 = 1
    public var objective = Objective()
    /// The parts each batch's gradients are summed in (see BatchParts): 1 is fastest alone;
    /// P makes the weights the same on any power of two of processes dividing P.
    public var gradientParts = 1
    /// Learning-rate schedule, flips, weight averaging, clipping (see TrainingAids).
    public var aids = TrainingAids()
    /// Epochs the cosine schedule spans, when known from the start (nil under a time budget
    /// until `planSchedule` fixes it).
    public var horizonEpochs: Int?
    /// Measure the held-out reconstructions' PSNR after each epoch (image folders).
    public var measurePSNR = false
    public init() {}
}

/// One line of `metrics.jsonl`: per-example figures in nats.
public struct EpochReport: Codable, Sendable, Equatable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainReconstruction: Double
    public var trainKL: Double
    /// The objective minimised, per example, when it is not the negative ELBO (β, warm-up, free bits).
    public var trainObjective: Double?
    public var testNegELBO: Double?
    public var testReconstruction: Double?
    public var testKL: Double?
    /// The test neg-ELBO in bits per dimension (a density over [0, 1] adds log 256 nats per value:
    /// uniform dequantisation of 8-bit data), so every head is on one axis.
    public var testBitsPerDim: Double?
    /// Latent dimensions in use over the test set (see `ActiveUnits`; hvae: of the top group).
    public var activeUnits: Int?
    /// hvae: each latent group's KL per test example, in decoder order (lowest side first).
    public var testKLGroups: [Double]?
    /// hvae: each latent group's active units over the test set, in decoder order.
    public var activeUnitsGroups: [Int]?
    /// The held-out reconstructions' PSNR in dB (see Evaluator.reconstructionPSNR), when measured.
    public var testPSNR: Double?
    /// The learning rate of the epoch's last step, when a schedule moves it.
    public var learningRate: Double?
    /// Steps whose gradient norm was over --clip-grad and scaled down to it, when clipping.
    public var clippedSteps: Int?
    /// Steps not taken because their gradient norm was over --skip-grad, when skipping.
    public var skippedSteps: Int?
    public var seconds: Double
    public var dataWaitSeconds: Double
    public var forwardSeconds: Double
    public var backwardSeconds: Double
    public var optimizerSeconds: Double
    public var steps: Int
    public var examplesPerSecond: Double

    enum CodingKeys: String, CodingKey {
        case epoch, seconds
        case trainLoss = "train_loss", trainReconstruction = "train_reconstruction", trainKL = "train_kl"
        case trainObjective = "train_objective"
        case testNegELBO = "test_neg_elbo", testReconstruction = "test_reconstruction", testKL = "test_kl"
        case testBitsPerDim = "test_bits_per_dim", activeUnits = "active_units", testPSNR = "test_psnr"
        case testKLGroups = "test_kl_groups", activeUnitsGroups = "active_units_groups"
        case learningRate = "learning_rate", clippedSteps = "clipped_steps", skippedSteps = "skipped_steps"
        case dataWaitSeconds = "data_wait_seconds", examplesPerSecond = "examples_per_second"
        case forwardSeconds = "forward_seconds", backwardSeconds = "backward_seconds"
        case optimizerSeconds = "optimizer_seconds", steps
    }
}

/// What the training loop reports after each step (for progress displays).
public struct StepProgress {
    public var epoch: Int
    public var step: Int
    public var stepsPerEpoch: Int
    /// Mean negative ELBO per example over the epoch's steps so far.
    public var meanLoss: Double
    /// Training seconds of the epoch so far (this process and any before a resume).
    public var seconds: Double
    public var examples: Int
}

/// The training loop: shuffled batches, one Adam step each, an evaluation per epoch. Its
/// position (`state`) is exact at every step boundary, so it can stop at any step and a new
/// process restored from a checkpoint continues with bit-identical results.
public final class Trainer {
    public let model: VAE
    public let optimizer: Adam
    public let options: TrainOptions
    private let batcher: Batcher
    private let test: ImageSet?
    private var rng: SplitMix64
    private var position: TrainingState
    /// The other processes of a data-parallel job, or nil.
    public let collective: Collective?
    /// A step's loss terms and whether to stop, summed over the processes.
    private var agreed = [Double](repeating: 0, count: 5)
    /// The weights' moving average (--ema), or nil.
    public let average: WeightAverage?

    /// With `collective`, this process trains on its share of every batch (the model's capacity
    /// need only hold that share) and every process takes the same steps.
    public init(model: VAE, train: ImageSet, test: ImageSet?, options: TrainOptions, collective: Collective? = nil) {
        precondition(train.shape == model.config.shape)
        precondition(model.samples == options.objective.samples && model.importanceWeighted == (options.objective.bound == .iwae),
                     "the model's samples and bound are the objective's")
        self.model = model
        self.options = options
        self.test = test
        self.collective = collective
        model.collective = collective
        optimizer = Adam(parameterCount: model.parameters.count, learningRate: options.learningRate)
        batcher = Batcher(set: train, batchSize: options.batchSize, seed: options.seed, shard: collective?.shard ?? .whole)
        rng = SplitMix64(seed: options.seed).derived(0x7EA1)
        position = TrainingState(rng: rng.state)
        position.gradientParts = options.gradientParts
        average = options.aids.ema > 0 ? WeightAverage(copying: model.parameters) : nil
        model.flipsHorizontally = options.aids.flip
    }

    /// The Adam steps over which the cosine schedule falls: from the plan a time budget made,
    /// else over the run's epochs; nil while neither is known.
    public var scheduleHorizon: Range<Int>? {
        if let e = position.scheduleEpochs { return (position.scheduleStart ?? 0)..<max(position.scheduleStart ?? 0, e * stepsPerEpoch) }
        return options.horizonEpochs.map { 0..<$0 * stepsPerEpoch }
    }

    /// Fixes the schedule's length once a time budget's first epoch has shown the pace: the
    /// cosine falls from this step to the end of epoch `epochs`. Saved with the training state,
    /// so a resumed run keeps it.
    /// Planning again keeps the first plan's start: the cosine stretches or shrinks from there.
    public func planSchedule(epochs: Int) {
        position.scheduleEpochs = epochs
        position.scheduleStart = position.scheduleStart ?? optimizer.step
    }

    /// The epochs a time budget's plan fixed, if any.
    public var plannedEpochs: Int? { position.scheduleEpochs }

    /// The learning rate of Adam's next step.
    public var currentLearningRate: Float {
        Float(Double(options.learningRate) * options.aids.learningRateFactor(step: optimizer.step, horizon: scheduleHorizon))
    }

    /// Runs `body` with the averaged weights in the model (the trained ones when there is no
    /// average): what test figures, galleries and checkpoints show.
    /// Calls nest: inside one, the model already holds the average.
    public func withAveragedWeights<T>(_ body: () throws -> T) rethrows -> T {
        guard let average, !showsAverage else { return try body() }
        average.swap(with: model.parameters)
        showsAverage = true
        defer { average.swap(with: model.parameters); showsAverage = false }
        return try body()
    }
    /// True inside `withAveragedWeights`, while the model holds the average.
    public private(set) var showsAverage = false

    /// The weights Adam moves, wherever they are now (beside the average inside `withAveragedWeights`).
    public var trainingWeights: UnsafePointer<Float> {
        UnsafePointer(showsAverage ? average!.values.pointer : model.parameters.values.pointer)
    }

    public var stepsPerEpoch: Int { batcher.batchesPerEpoch }

    /// Where training stands, as a checkpoint saves it.
    public var state: TrainingState {
        var s = position
        s.rng = rng.state
        s.adamStep = optimizer.step
        return s
    }

    /// Continues from a checkpoint written by `Checkpoint(trainer:)`: weights, Adam's moments
    /// and step, the noise generator and the position in the epoch.
    public func restore(from checkpoint: Checkpoint, path: String) throws {
        guard let saved = try checkpoint.trainingState(path: path) else {
            throw VAEPipeError.badCheckpoint(path: path, reason: "it holds weights only, no training state to resume from")
        }
        guard saved.epoch >= 1, saved.step >= 0, saved.adamStep >= 0 else {
            throw VAEPipeError.badCheckpoint(
                path: path, reason: "its training state is impossible (epoch \(saved.epoch), step \(saved.step), Adam step \(saved.adamStep))")
        }
        guard saved.step <= stepsPerEpoch else {
            throw VAEPipeError.badCheckpoint(
                path: path, reason: "it stopped at step \(saved.step) of an epoch that now has \(stepsPerEpoch) steps (has the data changed?)")
        }
        try model.load(checkpoint, path: path)
        if let average {
            // The plain names hold the average; the weights Adam moves sit beside them.
            average.values.pointer.update(from: model.parameters.values.pointer, count: model.parameters.count)
            try checkpoint.loadTrainingWeights(into: model, path: path)
        }
        try checkpoint.loadOptimizer(into: optimizer, model: model, path: path)
        optimizer.restore(step: saved.adamStep)
        rng = SplitMix64(seed: saved.rng)
        position = saved
    }

    /// Trains the rest of the current epoch. Returns its report, or nil when `shouldStop`
    /// said yes after some step first; `state` then holds the exact position to save.
    public func continueEpoch(shouldStop: () -> Bool = { false },
                              onStep: (StepProgress) -> Void = { _ in }) throws -> EpochReport? {
        let epoch = position.epoch
        let start = DispatchTime.now().uptimeNanoseconds
        let batches = batcher.start(epoch: epoch, skippingBatches: position.step)
        defer { batches.finish() }
        var totals = position.partial
        var step = position.step
        let startSeconds = totals.seconds, startWait = totals.dataWaitSeconds
        func elapsed() -> Double { startSeconds + Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        var forward: UInt64 = 0, backward: UInt64 = 0, update: UInt64 = 0
        var stopped = false
        while let (x, n) = try batches.next() {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let whole = min(options.batchSize, batcher.set.count - step * options.batchSize)
            var loss = BatchLoss()
            let parts = BatchParts(count: position.gradientParts, shard: collective?.shard ?? .whole, total: whole)
            if n > 0 {
                loss = model.trainingForward(x, batch: n, rng: &rng, share: BatchShare(offset: batches.offset, total: whole), parts: parts)
                try model.throwHeadError()
            } else {
                try model.joinHeadSums(parts: parts)
                _ = rng.next()  // as the forward pass does: every process's generator stays in step
                model.klPerDimension.update(repeating: 0, count: model.latent)
                model.klPerGroup.update(repeating: 0, count: model.groupCount)
                // No rows, no gradient: the zeros this process adds in (after a step on its own
                // segment, the rest of its buffer still holds the last exchange's partial sums).
                if !model.parameters.gradientsAreZero { model.parameters.gradients.zero() }
                model.parameters.gradientsAreZero = false
            }
            let objectiveKL = try weighKL(epoch: epoch, step: step, rows: whole)
            var bound = n > 0 ? model.lastBound : 0
            let t1 = DispatchTime.now().uptimeNanoseconds
            if n > 0 { model.trainingBackward(batch: n) }
            let store = model.parameters
            if let c = collective {
                // The gradients of the whole batch's mean loss are the sum of the shares'. When each
                // process holds whole parts, they are added in the parts' tree (the sum a process
                // alone gets), each process completing only its segment, which it alone steps
                // below; otherwise in whatever order MPI adds, and every process steps them all.
                if shardsOptimizer {
                    try c.reduceScatterPairwise(store.gradients.pointer, count: store.count)
                } else {
                    try c.sum(store.gradients.pointer, count: store.count)
                }
                store.gradientsAreZero = false
            }
            // One process asking to stop (or diverging) stops them all at this step.
            let stop = try agree(&loss, step + 1 < stepsPerEpoch && shouldStop(), &bound)
            guard loss.negELBO.isFinite else { throw VAEPipeError.trainingDiverged(epoch: epoch, step: step + 1) }
            var skip = false
            if options.aids.clipGrad > 0 || options.aids.skipGrad > 0 {
                // The norm is of the whole gradient: a process holding only its segment's sum gets the rest first.
                if let c = collective, shardsOptimizer { try c.allgatherSegments(store.gradients.pointer, count: store.count) }
                let norm = GradientClipping.l2Norm(store.gradients.pointer, count: store.count)
                if options.aids.skipGrad > 0, !(norm <= Double(options.aids.skipGrad)) {
                    skip = true
                    totals.skippedSteps = (totals.skippedSteps ?? 0) + 1
                } else if GradientClipping.clip(store, maxNorm: options.aids.clipGrad, norm: norm).clipped {
                    totals.clippedSteps = (totals.clippedSteps ?? 0) + 1
                }
            }
            let t2 = DispatchTime.now().uptimeNanoseconds
            optimizer.learningRate = currentLearningRate
            if skip {
                // Neither the weights, Adam's moments and step nor the average move; every process
                // measured the same norm, so all of them skip.
                store.gradients.zero()
                store.gradientsAreZero = true
            } else if let c = collective, shardsOptimizer {
                optimizer.update(store, range: c.segment(of: store.count))
                try c.allgatherSegments(store.values.pointer, count: store.count)
                momentsAreShared = false
            } else {
                optimizer.update(store)
            }
            if !skip { average?.update(from: store, decay: options.aids.averageDecay(afterSteps: optimizer.step)) }
            let t3 = DispatchTime.now().uptimeNanoseconds
            forward += t1 - t0; backward += t2 - t1; update += t3 - t2
            totals.loss += loss
            if let objectiveKL { totals.objective = (totals.objective ?? 0) + loss.reconstruction + objectiveKL }
            if model.importanceWeighted { totals.objective = (totals.objective ?? 0) + bound }
            step += 1
            onStep(StepProgress(epoch: epoch, step: step, stepsPerEpoch: stepsPerEpoch,
                                meanLoss: totals.loss.negELBO / Double(totals.loss.count),
                                seconds: elapsed(), examples: totals.loss.count))
            if stop { stopped = true; break }
        }
        totals.seconds = elapsed()
        totals.dataWaitSeconds = startWait + batches.waitSeconds
        totals.forwardSeconds += Double(forward) / 1e9
        totals.backwardSeconds += Double(backward) / 1e9
        totals.optimizerSeconds += Double(update) / 1e9
        position.step = step
        position.partial = totals
        try shareMoments()
        if stopped { return nil }

        let l = totals.loss, count = Double(l.count)
        var report = EpochReport(
            epoch: epoch, trainLoss: l.negELBO / count, trainReconstruction: l.reconstruction / count,
            trainKL: l.kl / count, trainObjective: totals.objective.map { $0 / count }, seconds: totals.seconds, dataWaitSeconds: totals.dataWaitSeconds,
            forwardSeconds: totals.forwardSeconds, backwardSeconds: totals.backwardSeconds,
            optimizerSeconds: totals.optimizerSeconds, steps: step, examplesPerSecond: count / totals.seconds)
        if options.aids.schedule != .constant || options.aids.warmup > 0 { report.learningRate = Double(optimizer.learningRate) }
        if options.aids.clipGrad > 0 { report.clippedSteps = totals.clippedSteps ?? 0 }
        if options.aids.skipGrad > 0 { report.skippedSteps = totals.skippedSteps ?? 0 }
        if let test { try withAveragedWeights {
            var units = ActiveUnits(latent: model.latent), groups = GroupFigures(model)
            var t = try Evaluator.evaluate(model, on: test, seed: options.seed, shard: collective?.shard ?? .whole,
                                           activeUnits: &units, groups: &groups)
            _ = try agree(&t, false)
            if let c = collective {
                try units.sum(over: c)
                try groups.sum(over: c)
            }
            if !groups.kl.isEmpty {
                report.testKLGroups = groups.kl.map { $0 / Double(t.count) }
                report.activeUnitsGroups = groups.units.map(\.count)
            }
            report.testNegELBO = t.negELBO / Double(t.count)
            report.testReconstruction = t.reconstruction / Double(t.count)
            report.testKL = t.kl / Double(t.count)
            let d = Double(model.inputSize), dequantization = model.head.isDiscrete ? 0 : d * log(256)
            report.testBitsPerDim = (t.negELBO / Double(t.count) + dequantization) / (d * M_LN2)
            report.activeUnits = units.count
            // Every process decodes the whole set with the same weights: the same figure on each.
            if options.measurePSNR { report.testPSNR = try Evaluator.reconstructionPSNR(model, on: test) }
        } }
        position.reports.append(report)
        position.epoch += 1
        position.step = 0
        position.partial = EpochTotals()
        return report
    }

    /// True when each process of a data-parallel job holds whole parts of every batch (see
    /// BatchParts): the processes then add their gradients in the parts' tree, and each takes
    /// Adam's step on its own segment of the parameters (a reduce-scatter, the step, an
    /// all-gather of the new weights: an allreduce's traffic, a 1/N share of the optimizer's work).
    public var shardsOptimizer: Bool {
        guard let c = collective, c.size > 1 else { return false }
        return BatchParts.aligns(position.gradientParts, processes: c.size)
    }
    /// False while some process's Adam moments are newer than the others' copies.
    private var momentsAreShared = true

    /// Every process's segment of Adam's moments to every process, so that the checkpoint (rank
    /// 0's) holds them all. At the end of each `continueEpoch`, on every process.
    private func shareMoments() throws {
        guard let c = collective, !momentsAreShared else { return }
        try c.allgatherSegments(optimizer.m.pointer, count: optimizer.m.count)
        try c.allgatherSegments(optimizer.v.pointer, count: optimizer.v.count)
        momentsAreShared = true
    }

    /// Sets the model's KL weights for this step's backward pass from the objective, and returns
    /// the batch's weighted KL term (summed over its `rows`), or nil for the plain ELBO. Free bits
    /// need each dimension's mean KL over the whole batch: in a data-parallel job, summed first.
    private func weighKL(epoch: Int, step: Int, rows: Int) throws -> Double? {
        let objective = options.objective
        guard objective.weighsKL else { return nil }
        let w = objective.klWeight(epoch: epoch, step: step, stepsPerEpoch: stepsPerEpoch)
        // Free bits hold each latent dimension, or for the hierarchy each group, at its floor.
        let grouped = model.groupCount > 0
        let k = grouped ? model.groupCount : model.latent, dims = grouped ? model.klPerGroup : model.klPerDimension
        let weights = grouped ? model.groupWeights.pointer : model.klWeights.pointer
        if let c = collective { try c.sum(dims, count: k) }
        var term = 0.0
        for j in 0..<k {
            let mean = dims[j] / Double(rows)
            let held = objective.freeBits > 0 && mean < Double(objective.freeBits)
            weights[j] = held ? 0 : w
            term += Double(w) * max(Double(objective.freeBits), mean) * Double(rows)
        }
        return term
    }

    /// The first process's `value` on every process of a data-parallel job (this one's alone).
    public func agreeOnFirstRank(_ value: Int) throws -> Int {
        guard let c = collective else { return value }
        var v = c.rank == 0 ? Double(value) : 0
        try c.sum(&v, count: 1)
        return Int(v)
    }

    /// True when this process or, in a data-parallel job, any process says true.
    public func agree(_ mine: Bool) throws -> Bool {
        var nothing = BatchLoss()
        return try agree(&nothing, mine)
    }

    /// `loss` and `bound` summed over the processes of a data-parallel job, and `flag` true when
    /// any process's is; as they are for a process alone. One small allreduce, into a buffer made once.
    private func agree(_ loss: inout BatchLoss, _ flag: Bool, _ bound: inout Double) throws -> Bool {
        guard let c = collective else { return flag }
        try agreed.withUnsafeMutableBufferPointer { a in
            a[0] = loss.reconstruction; a[1] = loss.kl; a[2] = Double(loss.count); a[3] = flag ? 1 : 0; a[4] = bound
            try c.sum(a.baseAddress!, count: 5)
            loss.reconstruction = a[0]; loss.kl = a[1]; loss.count = Int(a[2]); bound = a[4]
        }
        return agreed[3] > 0
    }

    private func agree(_ loss: inout BatchLoss, _ flag: Bool) throws -> Bool {
        var none = 0.0
        return try agree(&loss, flag, &none)
    }

    /// Trains epoch `epoch` whole (it must be the next one). For callers that never stop early.
    public func runEpoch(_ epoch: Int) throws -> EpochReport {
        precondition(epoch == position.epoch && position.step == 0, "epochs run in order")
        return try continueEpoch()!
    }
}

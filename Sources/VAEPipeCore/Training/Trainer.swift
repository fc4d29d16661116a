import Foundation

public struct TrainOptions: Sendable {
    public var epochs: Int = 10
    public var batchSize: Int = 128
    public var learningRate: Float = 1e-3
    public var seed: UInt64 = 1
    public init() {}
}

/// One line of `metrics.jsonl`: per-example figures in nats.
public struct EpochReport: Codable, Sendable, Equatable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainReconstruction: Double
    public var trainKL: Double
    public var testNegELBO: Double?
    public var testReconstruction: Double?
    public var testKL: Double?
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
        case testNegELBO = "test_neg_elbo", testReconstruction = "test_reconstruction", testKL = "test_kl"
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

    public init(model: VAE, train: ImageSet, test: ImageSet?, options: TrainOptions) {
        precondition(train.shape == model.config.shape)
        self.model = model
        self.options = options
        self.test = test
        optimizer = Adam(parameterCount: model.parameters.count, learningRate: options.learningRate)
        batcher = Batcher(set: train, batchSize: options.batchSize, seed: options.seed)
        rng = SplitMix64(seed: options.seed).derived(0x7EA1)
        position = TrainingState(rng: rng.state)
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
        guard saved.step <= stepsPerEpoch else {
            throw VAEPipeError.badCheckpoint(
                path: path, reason: "it stopped at step \(saved.step) of an epoch that now has \(stepsPerEpoch) steps (has the data changed?)")
        }
        try model.load(checkpoint, path: path)
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
            let loss = model.trainingForward(x, batch: n, rng: &rng)
            guard loss.negELBO.isFinite else { throw VAEPipeError.trainingDiverged(epoch: epoch, step: step + 1) }
            let t1 = DispatchTime.now().uptimeNanoseconds
            model.trainingBackward(batch: n)
            let t2 = DispatchTime.now().uptimeNanoseconds
            optimizer.update(model.parameters)
            let t3 = DispatchTime.now().uptimeNanoseconds
            forward += t1 - t0; backward += t2 - t1; update += t3 - t2
            totals.loss += loss
            step += 1
            onStep(StepProgress(epoch: epoch, step: step, stepsPerEpoch: stepsPerEpoch,
                                meanLoss: totals.loss.negELBO / Double(totals.loss.count),
                                seconds: elapsed(), examples: totals.loss.count))
            if step < stepsPerEpoch && shouldStop() { stopped = true; break }
        }
        totals.seconds = elapsed()
        totals.dataWaitSeconds = startWait + batches.waitSeconds
        totals.forwardSeconds += Double(forward) / 1e9
        totals.backwardSeconds += Double(backward) / 1e9
        totals.optimizerSeconds += Double(update) / 1e9
        position.step = step
        position.partial = totals
        if stopped { return nil }

        let l = totals.loss, count = Double(l.count)
        var report = EpochReport(
            epoch: epoch, trainLoss: l.negELBO / count, trainReconstruction: l.reconstruction / count,
            trainKL: l.kl / count, seconds: totals.seconds, dataWaitSeconds: totals.dataWaitSeconds,
            forwardSeconds: totals.forwardSeconds, backwardSeconds: totals.backwardSeconds,
            optimizerSeconds: totals.optimizerSeconds, steps: step, examplesPerSecond: count / totals.seconds)
        if let test {
            let t = try Evaluator.evaluate(model, on: test, seed: options.seed)
            report.testNegELBO = t.negELBO / Double(t.count)
            report.testReconstruction = t.reconstruction / Double(t.count)
            report.testKL = t.kl / Double(t.count)
        }
        position.reports.append(report)
        position.epoch += 1
        position.step = 0
        position.partial = EpochTotals()
        return report
    }

    /// Trains epoch `epoch` whole (it must be the next one). For callers that never stop early.
    public func runEpoch(_ epoch: Int) throws -> EpochReport {
        precondition(epoch == position.epoch && position.step == 0, "epochs run in order")
        return try continueEpoch()!
    }
}

public enum Evaluator {
    /// Sums of the loss terms over the whole set, one posterior sample per example, with a fixed
    /// noise seed so the same model always gets the same score.
    public static func evaluate(_ model: VAE, on set: ImageSet, seed: UInt64) throws -> BatchLoss {
        let batcher = Batcher(set: set, batchSize: model.capacity, seed: seed, shuffle: false)
        var rng = SplitMix64(seed: seed).derived(0xE7A1)
        let batches = batcher.start(epoch: 0)
        defer { batches.finish() }
        var total = BatchLoss()
        while let (x, n) = try batches.next() { total += model.evaluate(x, batch: n, rng: &rng) }
        return total
    }

    /// Average KL per latent dimension over (up to `limit` examples of) `set`: how much each
    /// dimension is used. Traversal galleries list dimensions in this order, largest first.
    public static func klPerDimension(_ model: VAE, on set: ImageSet, limit: Int = 2000) throws -> [Float] {
        let k = model.latent
        var sums = [Double](repeating: 0, count: k)
        let sub = set.evenlySpaced(limit)
        let batcher = Batcher(set: sub, batchSize: model.capacity, seed: 0, shuffle: false)
        let batches = batcher.start(epoch: 0)
        defer { batches.finish() }
        while let (x, n) = try batches.next() {
            let m = model.encode(x, batch: n)
            for r in 0..<n {
                let mu = m + r * 2 * k, lv = mu + k
                for j in 0..<k { sums[j] += 0.5 * Double(mu[j] * mu[j] + exp(lv[j]) - 1 - lv[j]) }
            }
        }
        return sums.map { Float($0 / Double(max(sub.count, 1))) }
    }

    /// Posterior means [count x Z] of the first `count` examples of `set`.
    public static func posteriorMeans(_ model: VAE, on set: ImageSet, count: Int) throws -> [Float] {
        let k = model.latent, d = set.shape.count
        let n = min(count, set.count)
        var out = [Float](repeating: 0, count: n * k)
        let x = FloatBuffer(count: model.capacity * d)
        var done = 0
        while done < n {
            let b = min(model.capacity, n - done)
            for r in 0..<b { try set.copyNormalized(done + r, into: x.pointer + r * d) }
            let m = model.encode(x.pointer, batch: b)
            for r in 0..<b { for j in 0..<k { out[(done + r) * k + j] = m[r * 2 * k + j] } }
            done += b
        }
        return out
    }

    /// Decoder means [n x D] for latent rows `z` [n x Z], decoded a model-capacity batch at a time.
    public static func decodeMeans(_ model: VAE, latents z: [Float]) -> [Float] {
        let k = model.latent, d = model.inputSize, n = z.count / k
        var out = [Float](repeating: 0, count: n * d)
        z.withUnsafeBufferPointer { zp in
            out.withUnsafeMutableBufferPointer { op in
                var done = 0
                while done < n {
                    let b = min(model.capacity, n - done)
                    model.decodeMean(zp.baseAddress! + done * k, batch: b, into: op.baseAddress! + done * d)
                    done += b
                }
            }
        }
        return out
    }
}

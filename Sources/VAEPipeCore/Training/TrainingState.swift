import CKernels
import Foundation

/// Where training stands: everything besides the weights and Adam's moments that an
/// interrupted run needs to continue exactly as if it had never stopped. Saved in the
/// checkpoint's metadata, so weights and position can never disagree.
public struct TrainingState: Codable, Sendable, Equatable {
    /// The epoch in progress (1-based); every epoch before it is complete.
    public var epoch: Int = 1
    /// Steps of `epoch` already taken: a run stopped mid-epoch resumes at the next batch.
    public var step: Int = 0
    /// The reparameterisation-noise generator's state after `step`.
    public var rng: UInt64
    public var adamStep: Int = 0
    /// Sums over the steps of `epoch` taken so far.
    public var partial = EpochTotals()
    /// Reports of the completed epochs, so metrics.jsonl can be rebuilt to match the weights.
    public var reports: [EpochReport] = []
    /// The parts each batch's gradients are summed in (see BatchParts): a resumed run keeps
    /// them, whatever number of processes continues it. 1 in checkpoints from before parts.
    public var gradientParts = 1
    /// A time budget's plan: the cosine schedule ends with epoch `scheduleEpochs` and starts at
    /// Adam step `scheduleStart` (see Trainer.planSchedule). Nil until planned.
    public var scheduleEpochs: Int?
    public var scheduleStart: Int?

    public init(rng: UInt64) { self.rng = rng }

    enum CodingKeys: String, CodingKey {
        case epoch, step, rng, partial, reports
        case adamStep = "adam_step"
        case gradientParts = "gradient_parts"
        case scheduleEpochs = "schedule_epochs", scheduleStart = "schedule_start"
    }

    // The generator state is a full 64-bit value: JSON numbers lose bits above 2^53.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epoch = try c.decode(Int.self, forKey: .epoch)
        step = try c.decode(Int.self, forKey: .step)
        let hex = try c.decode(String.self, forKey: .rng)
        guard let value = UInt64(hex, radix: 16) else {
            throw DecodingError.dataCorruptedError(forKey: .rng, in: c, debugDescription: "not a hex UInt64")
        }
        rng = value
        adamStep = try c.decode(Int.self, forKey: .adamStep)
        partial = try c.decode(EpochTotals.self, forKey: .partial)
        reports = try c.decode([EpochReport].self, forKey: .reports)
        gradientParts = try c.decodeIfPresent(Int.self, forKey: .gradientParts) ?? 1
        scheduleEpochs = try c.decodeIfPresent(Int.self, forKey: .scheduleEpochs)
        scheduleStart = try c.decodeIfPresent(Int.self, forKey: .scheduleStart)
        if let e = scheduleEpochs, let s = scheduleStart, e < 1 || s < 0 {
            throw DecodingError.dataCorruptedError(forKey: .scheduleEpochs, in: c, debugDescription: "an impossible schedule plan (\(e) epochs from step \(s))")
        }
        guard (1...Int(VP_MAX_PARTS)).contains(gradientParts) && gradientParts & (gradientParts - 1) == 0 else {
            throw DecodingError.dataCorruptedError(forKey: .gradientParts, in: c, debugDescription: "not a power of two from 1 to \(VP_MAX_PARTS)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(epoch, forKey: .epoch)
        try c.encode(step, forKey: .step)
        try c.encode(String(rng, radix: 16), forKey: .rng)
        try c.encode(adamStep, forKey: .adamStep)
        try c.encode(partial, forKey: .partial)
        try c.encode(reports, forKey: .reports)
        if gradientParts != 1 { try c.encode(gradientParts, forKey: .gradientParts) }
        try c.encodeIfPresent(scheduleEpochs, forKey: .scheduleEpochs)
        try c.encodeIfPresent(scheduleStart, forKey: .scheduleStart)
    }
}

/// Running sums over the steps of one epoch.
public struct EpochTotals: Codable, Sendable, Equatable {
    public var loss = BatchLoss()
    public var seconds: Double = 0
    public var dataWaitSeconds: Double = 0
    public var forwardSeconds: Double = 0
    public var backwardSeconds: Double = 0
    public var optimizerSeconds: Double = 0
    /// The objective's sum over the epoch's examples so far, when it is not the negative ELBO.
    public var objective: Double?
    /// Steps clipped by --clip-grad so far.
    public var clippedSteps: Int?
    /// Steps not taken by --skip-grad so far.
    public var skippedSteps: Int?
    public init() {}

    enum CodingKeys: String, CodingKey {
        case loss, seconds, objective, clippedSteps = "clipped_steps", skippedSteps = "skipped_steps"
        case dataWaitSeconds = "data_wait_seconds", forwardSeconds = "forward_seconds"
        case backwardSeconds = "backward_seconds", optimizerSeconds = "optimizer_seconds"
    }
}

/// Checkpoints that can resume training: the weights (named by layer, as any checkpoint),
/// Adam's first and second moments as `optimizer.m.<name>` / `optimizer.v.<name>`, and the
/// `TrainingState` as JSON under the `training_state` metadata key.
extension Checkpoint {
    public static let trainingStateKey = "training_state"
    /// The objective trained, when it is not the one-sample negative ELBO (JSON of `Objective`).
    public static let objectiveKey = "objective"
    /// The training aids in use, when any is (JSON of `TrainingAids`).
    public static let trainingAidsKey = "training_aids"
    /// With a weight average, the plain names hold the average and these the weights under training.
    public static let trainingWeightsPrefix = "training."

    /// `plugins`: what the run used (`PluginRegistry.records`), kept under the `plugins` key.
    public init(trainer: Trainer, extra: [Tensor] = [], plugins: [[String: String]] = []) throws {
        let model = trainer.model, store = model.parameters, adam = trainer.optimizer
        var tensors = Self.named(UnsafePointer(adam.m.pointer), like: store, prefix: "optimizer.m.")
            + Self.named(UnsafePointer(adam.v.pointer), like: store, prefix: "optimizer.v.")
        if trainer.average != nil { tensors += Self.named(trainer.trainingWeights, like: store, prefix: Self.trainingWeightsPrefix) }
        let state = String(decoding: try JSONEncoder().encode(trainer.state), as: UTF8.self)
        var metadata = [Self.trainingStateKey: state]
        if trainer.options.objective != Objective() {
            metadata[Self.objectiveKey] = String(decoding: try JSONEncoder().encode(trainer.options.objective), as: UTF8.self)
        }
        if trainer.options.aids != TrainingAids() {
            metadata[Self.trainingAidsKey] = String(decoding: try JSONEncoder().encode(trainer.options.aids), as: UTF8.self)
        }
        if !plugins.isEmpty {
            metadata[Self.pluginsKey] = String(decoding: try JSONSerialization.data(withJSONObject: plugins, options: [.sortedKeys]), as: UTF8.self)
        }
        // The plain names hold the weights to use: the average, when there is one.
        let kept = tensors + extra
        self = trainer.withAveragedWeights { Checkpoint(model: model, extra: kept, metadata: metadata) }
    }

    /// A flat buffer laid out as `store`, as one tensor per parameter named `prefix` + its name.
    static func named(_ buffer: UnsafePointer<Float>, like store: ParameterStore, prefix: String) -> [Tensor] {
        zip(store.specs, store.offsets).map { spec, offset in
            Tensor(name: prefix + spec.name, shape: spec.shape, values: Array(UnsafeBufferPointer(start: buffer + offset, count: spec.count)))
        }
    }

    /// Fills `buffer`, laid out as `store`, from the tensors named `prefix` + each parameter's name.
    func load(_ prefix: String, into buffer: UnsafeMutablePointer<Float>, like store: ParameterStore, what: String, path: String) throws {
        for (spec, offset) in zip(store.specs, store.offsets) {
            guard let t = tensor(prefix + spec.name), t.shape == spec.shape else {
                throw VAEPipeError.badCheckpoint(path: path, reason: "missing or misshapen \(what) tensor \(prefix + spec.name)")
            }
            t.values.withUnsafeBufferPointer { (buffer + offset).update(from: $0.baseAddress!, count: spec.count) }
        }
    }

    /// Copies the weights Adam was moving (saved beside an average) into `model`.
    func loadTrainingWeights(into model: VAE, path: String) throws {
        try load(Self.trainingWeightsPrefix, into: model.parameters.values.pointer, like: model.parameters,
                 what: "training-weights (beside their average)", path: path)
    }

    /// The saved position, or nil for a checkpoint without one (weights only).
    public func trainingState(path: String) throws -> TrainingState? {
        guard let text = metadata[Self.trainingStateKey] else { return nil }
        do { return try JSONDecoder().decode(TrainingState.self, from: Data(text.utf8)) } catch {
            throw VAEPipeError.badCheckpoint(path: path, reason: "its training state is unreadable (\(error))")
        }
    }

    /// Copies Adam's saved moments into `adam` (which must be for `model`'s parameters).
    func loadOptimizer(into adam: Adam, model: VAE, path: String) throws {
        for (buffer, prefix) in [(adam.m, "optimizer.m."), (adam.v, "optimizer.v.")] {
            try load(prefix, into: buffer.pointer, like: model.parameters, what: "optimizer", path: path)
        }
    }
}

import Foundation

/// What `vaepipe train` adds around the plain Adam step: a learning-rate schedule with warm-up,
/// horizontal flips, an exponential moving average of the weights, gradient-norm clipping and
/// skipping of updates whose gradient norm explodes.
/// Every one is a pure function of the step count and the seed, so a run resumed from a
/// checkpoint takes the same steps as one never stopped.
public struct TrainingAids: Codable, Sendable, Equatable {
    public enum Schedule: String, Codable, Sendable, CaseIterable { case constant, cosine }
    public var schedule: Schedule = .constant
    /// Steps over which the learning rate rises linearly from lr/warmup to lr (0: none).
    public var warmup = 0
    /// Decay of the weights' moving average (0: no average).
    public var ema: Float = 0
    /// Each training example flipped left-right with probability 1/2 every time it is drawn.
    public var flip = false
    /// The largest gradient norm a step takes; a larger one is scaled down to it (0: no limit).
    public var clipGrad: Float = 0
    /// A step whose gradient norm is over this (or not finite) is not taken at all (0: every
    /// step is taken): VDVAE's guard against the rare batch whose KL gradient explodes, which one
    /// clipped step would still carry into Adam's moments.
    public var skipGrad: Float = 0
    public init() {}

    enum CodingKeys: String, CodingKey {
        case schedule = "lr_schedule", warmup, ema, flip, clipGrad = "clip_grad", skipGrad = "skip_grad"
    }

    /// Checkpoints from before --skip-grad have no such key: every step was taken.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schedule = try c.decode(Schedule.self, forKey: .schedule)
        warmup = try c.decode(Int.self, forKey: .warmup)
        ema = try c.decode(Float.self, forKey: .ema)
        flip = try c.decode(Bool.self, forKey: .flip)
        clipGrad = try c.decode(Float.self, forKey: .clipGrad)
        skipGrad = try c.decodeIfPresent(Float.self, forKey: .skipGrad) ?? 0
    }

    /// Why these aids cannot be used (from flags or from a checkpoint), or nil.
    public var problem: String? {
        if warmup < 0 { return "--warmup must be at least 0" }
        if !(ema >= 0 && ema < 1) { return "--ema must be at least 0 and below 1 (0.999 averages over about the last thousand steps)" }
        if !(clipGrad >= 0 && clipGrad.isFinite) { return "--clip-grad must be a number of at least 0" }
        if !(skipGrad >= 0 && skipGrad.isFinite) { return "--skip-grad must be a number of at least 0" }
        if skipGrad > 0, clipGrad > 0, skipGrad <= clipGrad {
            return "--skip-grad (\(skipGrad)) must be above --clip-grad (\(clipGrad)): steps between the two are clipped, larger ones skipped"
        }
        return nil
    }

    /// The learning rate's multiplier at the Adam step numbered `t` (from 0). `horizon`: the
    /// steps over which the cosine falls from 1 to 0 (nil while it is not known yet, as before a
    /// time budget's plan: the rate holds). Warm-up multiplies either schedule.
    public func learningRateFactor(step t: Int, horizon: Range<Int>?) -> Double {
        let warm = warmup > 0 ? min(1, Double(t + 1) / Double(warmup)) : 1
        guard schedule == .cosine, let h = horizon, h.count > 0 else { return warm }
        let progress = Double(min(max(t - h.lowerBound, 0), h.count)) / Double(h.count)
        return warm * 0.5 * (1 + cos(Double.pi * progress))
    }

    /// The average's decay after `n` steps: at most `ema`, less at first ((1 + n) / (10 + n), as
    /// TensorFlow's ExponentialMovingAverage with num_updates), so that a short run's average
    /// is not mostly its random initial weights.
    public func averageDecay(afterSteps n: Int) -> Float {
        min(ema, Float(1 + n) / Float(10 + n))
    }
}

/// The weights' exponential moving average (Polyak averaging): avg = d avg + (1 - d) w after
/// every step. Test figures, galleries and the checkpoint's weights are the average's; the
/// weights Adam moves are kept beside them (`Checkpoint.trainingWeightsPrefix`).
public final class WeightAverage: RangeKernel {
    public let values: FloatBuffer
    private var weights: UnsafeMutablePointer<Float>?
    private var decay: Float = 0
    private var swapping = false

    public init(copying store: ParameterStore) {
        values = FloatBuffer(count: store.count)
        values.pointer.update(from: store.values.pointer, count: store.count)
    }

    public func update(from store: ParameterStore, decay: Float) {
        weights = store.values.pointer; self.decay = decay; swapping = false
        Parallel.forRanges(values.count, self)
    }

    /// Exchanges the average and the store's weights, in place (twice restores both).
    public func swap(with store: ParameterStore) {
        weights = store.values.pointer; swapping = true
        Parallel.forRanges(values.count, self)
    }

    public func run(_ r: Range<Int>) {
        let a = values.pointer, w = weights!
        if swapping {
            for i in r { let t = a[i]; a[i] = w[i]; w[i] = t }
            return
        }
        let d = decay, e = 1 - decay
        var i = r.lowerBound
        while i + 8 <= r.upperBound { VectorMath.store(VectorMath.load(a + i) * d + VectorMath.load(w + i) * e, a + i); i += 8 }
        while i < r.upperBound { a[i] = a[i] * d + w[i] * e; i += 1 }
    }
}

/// Gradient-norm clipping: g *= max / |g| when |g| > max. The norm is summed in one fixed order
/// (blocks of 16 in Float, the blocks in Double), so it has the same bits on any thread count and,
/// once every process holds the whole gradient, on every process.
public enum GradientClipping {
    /// The gradient's L2 norm before clipping, and whether it was clipped.
    @discardableResult
    public static func clip(_ store: ParameterStore, maxNorm: Float) -> (norm: Double, clipped: Bool) {
        clip(store, maxNorm: maxNorm, norm: l2Norm(store.gradients.pointer, count: store.count))
    }

    /// The same with the norm already measured.
    @discardableResult
    public static func clip(_ store: ParameterStore, maxNorm: Float, norm: Double) -> (norm: Double, clipped: Bool) {
        guard maxNorm > 0, norm > Double(maxNorm) else { return (norm, false) }
        VectorMath.scale(store.gradients.pointer, count: store.count, by: Float(Double(maxNorm) / norm))
        return (norm, true)
    }

    public static func l2Norm(_ g: UnsafePointer<Float>, count: Int) -> Double {
        var total = 0.0, i = 0
        while i + 16 <= count {
            let a = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD16<Float>.self)
            total += Double((a * a).sum())
            i += 16
        }
        while i < count { total += Double(g[i] * g[i]); i += 1 }
        return total.squareRoot()
    }
}

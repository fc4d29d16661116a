import Foundation

/// What `Evaluator.importanceSampled` measured over a set, per example (means).
public struct LikelihoodEstimate: Sendable {
    public var samples: Int
    public var count: Int
    /// The importance-weighted estimate of log p(x) (Burda et al. 2015), in nats: a lower bound
    /// in expectation that tightens as `samples` grows.
    public var logLikelihood: Double
    /// The single-sample ELBO over the same draws (the mean of the log weights), in nats.
    public var elbo: Double
    /// Values per example (D), for bits per dimension.
    public var dimension: Int
    /// log 256 per value for a density over [0, 1] on 8-bit data, 0 for a discrete head.
    public var dequantization: Double
    /// Latent dimensions whose posterior mean varies over the set (see `ActiveUnits`).
    public var activeUnits: Int

    public var bitsPerDimension: Double { (dequantization - logLikelihood) / (Double(dimension) * M_LN2) }
    public var elboBitsPerDimension: Double { (dequantization - elbo) / (Double(dimension) * M_LN2) }
}

extension Evaluator {
    /// log p(x) ≈ log (1/K) sum_k p(x | z_k) p(z_k) / q(z_k | x), z_k ~ q(z | x), for every example
    /// of `set`, K = `samples` (up to thousands: the K draws of one example go through the decoder
    /// a model-capacity batch at a time, and the sum is a streaming log-sum-exp in Double). Each
    /// example's draws come from its own stream, picked by its index.
    public static func importanceSampled(_ model: VAE, on set: ImageSet, samples: Int, seed: UInt64) throws -> LikelihoodEstimate {
        precondition(samples >= 1)
        let capacity = model.capacity, d = model.inputSize
        if model.hierarchy != nil {
            // Each draw runs every group's posterior; its log weight is log p(x | z) plus
            // sum_i [log p(z_i | z<i) - log q(z_i | x, z<i)], the joint over all groups.
            return try estimate(model, on: set, samples: samples, seed: seed) { x, _, rows, rng, out in
                model.hierarchicalLogWeights(x, rows: rows, rng: &rng, into: out)
            }
        }
        let k = model.latent
        let targets = FloatBuffer(count: capacity * d)
        let eps = FloatBuffer(count: capacity * k), z = FloatBuffer(count: capacity * k), nll = FloatBuffer(count: capacity)
        let logRatio = FloatBuffer(count: capacity)
        return try estimate(model, on: set, samples: samples, seed: seed) { x, moments, rows, rng, out in
            for r in 0..<rows { (targets.pointer + r * d).update(from: x, count: d) }
            rng.fillNormal(eps.pointer, count: rows * k)
            // The example's draws, as a training step's samples of one example.
            Reparameterization.forward(moments: moments, eps: eps.pointer, z: z.pointer, batch: 1, latent: k, samples: rows)
            ImportanceWeights.logRatio(moments: moments, eps: eps.pointer, z: z.pointer, batch: 1, latent: k,
                                       samples: rows, into: logRatio.pointer)
            model.reconstructionNLL(z.pointer, targets: targets.pointer, batch: rows, into: nll.pointer)
            for r in 0..<rows { out[r] = Double(logRatio[r]) - Double(nll[r]) }
        }
    }

    /// The estimate's loop over examples and their draws, a capacity's worth at a time: `weigh`
    /// writes the log weights of `rows` draws of example x (prepared by the head; `moments` its
    /// posterior's, as `encode` gives them) from the example's own stream.
    private static func estimate(
        _ model: VAE, on set: ImageSet, samples: Int, seed: UInt64,
        weigh: (UnsafePointer<Float>, UnsafePointer<Float>, Int, inout SplitMix64, UnsafeMutablePointer<Double>) -> Void
    ) throws -> LikelihoodEstimate {
        let k = model.latent, d = model.inputSize, capacity = model.capacity
        let x = FloatBuffer(count: d), moments = FloatBuffer(count: 2 * k)
        let logW = UnsafeMutablePointer<Double>.allocate(capacity: capacity)
        defer { logW.deallocate() }
        var units = ActiveUnits(latent: k)
        let noise = SplitMix64(seed: seed).derived(0x1A7E)
        var totalLog = 0.0, totalELBO = 0.0
        for i in 0..<set.count {
            try set.copyNormalized(i, into: x.pointer)
            var rng = noise.derived(UInt64(i))
            model.head.prepare(x.pointer, count: d, rng: &rng)
            moments.pointer.update(from: model.encode(x.pointer, batch: 1), count: 2 * k)
            units.add(moments.pointer)
            var sum = LogMeanExp(), done = 0
            while done < samples {
                let b = min(capacity, samples - done)
                weigh(x.pointer, moments.pointer, b, &rng, logW)
                for r in 0..<b { sum.add(logW[r]) }
                done += b
            }
            totalLog += sum.logMean
            totalELBO += sum.mean
        }
        let n = Double(max(set.count, 1))
        return LikelihoodEstimate(samples: samples, count: set.count, logLikelihood: totalLog / n, elbo: totalELBO / n,
                                  dimension: d, dequantization: model.head.isDiscrete ? 0 : Double(d) * log(256),
                                  activeUnits: units.count)
    }
}

/// A streaming log-mean-exp in Double: `top` the largest value so far, `scaled` the sum of
/// exp(value - top), so thousands of log weights never overflow.
struct LogMeanExp {
    private var top = -Double.infinity, scaled = 0.0, sum = 0.0, count = 0
    mutating func add(_ v: Double) {
        sum += v; count += 1
        if v > top { scaled = scaled * exp(top - v) + 1; top = v } else { scaled += exp(v - top) }
    }
    var logMean: Double { top + log(scaled) - log(Double(count)) }
    var mean: Double { sum / Double(count) }
}

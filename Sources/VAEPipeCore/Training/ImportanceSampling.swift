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
        let k = model.latent, d = model.inputSize, capacity = model.capacity
        let x = FloatBuffer(count: d), targets = FloatBuffer(count: capacity * d)
        let eps = FloatBuffer(count: capacity * k), z = FloatBuffer(count: capacity * k), nll = FloatBuffer(count: capacity)
        let moments = FloatBuffer(count: 2 * k), logRatio = FloatBuffer(count: capacity)
        var units = ActiveUnits(latent: k)
        let noise = SplitMix64(seed: seed).derived(0x1A7E)
        var totalLog = 0.0, totalELBO = 0.0
        for i in 0..<set.count {
            try set.copyNormalized(i, into: x.pointer)
            var rng = noise.derived(UInt64(i))
            model.head.prepare(x.pointer, count: d, rng: &rng)
            moments.pointer.update(from: model.encode(x.pointer, batch: 1), count: 2 * k)
            units.add(moments.pointer)
            for r in 0..<min(capacity, samples) { (targets.pointer + r * d).update(from: x.pointer, count: d) }
            // Streaming log-sum-exp: `top` the largest log weight so far, `scaled` the sum of
            // exp(log w - top).
            var top = -Double.infinity, scaled = 0.0, sumLog = 0.0
            var done = 0
            while done < samples {
                let b = min(capacity, samples - done)
                rng.fillNormal(eps.pointer, count: b * k)
                // The example's b draws, as a training step's samples of one example.
                Reparameterization.forward(moments: moments.pointer, eps: eps.pointer, z: z.pointer, batch: 1, latent: k, samples: b)
                ImportanceWeights.logRatio(moments: moments.pointer, eps: eps.pointer, z: z.pointer, batch: 1, latent: k,
                                           samples: b, into: logRatio.pointer)
                model.reconstructionNLL(z.pointer, targets: targets.pointer, batch: b, into: nll.pointer)
                for r in 0..<b {
                    let logW = Double(logRatio[r]) - Double(nll[r])
                    sumLog += logW
                    if logW > top { scaled = scaled * exp(top - logW) + 1; top = logW } else { scaled += exp(logW - top) }
                }
                done += b
            }
            totalLog += top + log(scaled) - log(Double(samples))
            totalELBO += sumLog / Double(samples)
        }
        let n = Double(max(set.count, 1))
        return LikelihoodEstimate(samples: samples, count: set.count, logLikelihood: totalLog / n, elbo: totalELBO / n,
                                  dimension: d, dequantization: model.head.isDiscrete ? 0 : Double(d) * log(256),
                                  activeUnits: units.count)
    }
}

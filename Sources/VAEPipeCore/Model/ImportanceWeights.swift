import Foundation

/// The importance-weighted bound's pieces for K posterior samples per example (Burda et al. 2015):
/// log w_k = log p(x | z_k) + log p(z_k) - log q(z_k | x), the bound log (1/K) sum_k w_k, and its
/// gradient, sum_k w~_k d log w_k, w~ the normalised weights. With z = mu + sigma * eps,
/// log p(z) - log q(z | x) = sum_j -z_j^2/2 + eps_j^2/2 + lv_j/2 (the 2 pi terms cancel).
public enum ImportanceWeights {
    /// log p(z) - log q(z | x) for each sample row, into `out[batch * samples]`.
    public static func logRatio(
        moments: UnsafePointer<Float>, eps: UnsafePointer<Float>, z: UnsafePointer<Float>,
        batch: Int, latent: Int, samples: Int, into out: UnsafeMutablePointer<Float>
    ) {
        for r in 0..<batch {
            let lv = moments + r * 2 * latent + latent
            var halfLogDet: Float = 0
            for j in 0..<latent { halfLogDet += 0.5 * lv[j] }
            for s in r * samples..<(r + 1) * samples {
                let zs = z + s * latent, e = eps + s * latent
                var t: Float = 0
                for j in 0..<latent { t += 0.5 * (e[j] * e[j] - zs[j] * zs[j]) }
                out[s] = t + halfLogDet
            }
        }
    }

    /// Turns `logRatio` and the rows' -log p(x | z) into each example's normalised weights (in
    /// place of `logRatio`), and returns the sum over examples of the negative bound,
    /// -log (1/K) sum_k w_k, by a log-sum-exp (the weights span hundreds of nats).
    public static func normalize(
        _ logRatio: UnsafeMutablePointer<Float>, nll: UnsafePointer<Float>, batch: Int, samples: Int
    ) -> Double {
        var total = 0.0
        let logK = log(Double(samples))
        for r in 0..<batch {
            let w = logRatio + r * samples, n = nll + r * samples
            var top = -Double.infinity
            for k in 0..<samples { top = max(top, Double(w[k]) - Double(n[k])) }
            var sum = 0.0
            for k in 0..<samples { sum += exp(Double(w[k]) - Double(n[k]) - top) }
            for k in 0..<samples { w[k] = Float(exp(Double(w[k]) - Double(n[k]) - top) / sum) }
            total -= top + log(sum) - logK
        }
        return total
    }

    /// The prior and posterior terms' part of d(scale * -bound): dz += scale * w~ * z for every
    /// sample row (from -log p(z)), and dlv -= scale / 2 for every example (from log q's
    /// -lv/2; the weights of an example sum to 1). Call the first before the reparameterisation's
    /// backward pass, the second after it.
    public static func addPriorGradient(
        z: UnsafePointer<Float>, weights: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>,
        rows: Int, latent: Int, scale: Float
    ) {
        for s in 0..<rows {
            let a = scale * weights[s], zs = z + s * latent, g = dz + s * latent
            for j in 0..<latent { g[j] += a * zs[j] }
        }
    }

    public static func addPosteriorGradient(dMoments: UnsafeMutablePointer<Float>, batch: Int, latent: Int, scale: Float) {
        for r in 0..<batch {
            let dlv = dMoments + r * 2 * latent + latent
            for j in 0..<latent { dlv[j] -= 0.5 * scale }
        }
    }
}

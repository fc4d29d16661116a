import Foundation

// The encoder emits, per example, Z means followed by Z log-variances ("moments", [B x 2Z]).

/// Reparameterised sampling, z = mu + eps * exp(lv / 2) with eps ~ N(0, I) drawn outside,
/// so the sample is a differentiable function of the encoder's outputs.
public enum Reparameterization {
    public static func forward(
        moments: UnsafePointer<Float>, eps: UnsafePointer<Float>, z: UnsafeMutablePointer<Float>,
        batch: Int, latent: Int
    ) {
        for r in 0..<batch {
            let mu = moments + r * 2 * latent, lv = mu + latent
            let e = eps + r * latent, out = z + r * latent
            for j in 0..<latent { out[j] = mu[j] + e[j] * exp(0.5 * lv[j]) }
        }
    }

    /// dmu = dz ; dlv = dz * eps * exp(lv / 2) / 2. Overwrites `dMoments`.
    public static func backward(
        moments: UnsafePointer<Float>, eps: UnsafePointer<Float>, dz: UnsafePointer<Float>,
        dMoments: UnsafeMutablePointer<Float>, batch: Int, latent: Int
    ) {
        for r in 0..<batch {
            let lv = moments + r * 2 * latent + latent
            let e = eps + r * latent, g = dz + r * latent
            let dmu = dMoments + r * 2 * latent, dlv = dmu + latent
            for j in 0..<latent {
                dmu[j] = g[j]
                dlv[j] = g[j] * e[j] * 0.5 * exp(0.5 * lv[j])
            }
        }
    }
}

/// KL(N(mu, diag exp(lv)) || N(0, I)) = 1/2 sum_j (mu_j^2 + exp(lv_j) - 1 - lv_j)
/// (Kingma & Welling 2014, appendix B), in closed form: no sampling noise in this term.
public enum KLDivergence {
    /// Per-example KL into `out[B]`; with `dimensions`, each latent dimension's KL summed over
    /// the batch there too.
    public static func forward(
        moments: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, batch: Int, latent: Int,
        dimensions: UnsafeMutablePointer<Double>? = nil
    ) {
        dimensions?.update(repeating: 0, count: latent)
        for r in 0..<batch {
            let mu = moments + r * 2 * latent, lv = mu + latent
            var s: Float = 0
            for j in 0..<latent {
                let t = mu[j] * mu[j] + exp(lv[j]) - 1 - lv[j]
                s += t
                dimensions?[j] += Double(0.5 * t)
            }
            out[r] = 0.5 * s
        }
    }

    /// Adds scale * dKL/dmoments: dmu = mu, dlv = (exp(lv) - 1) / 2; with `weights`, dimension j's
    /// part times weights[j].
    public static func backward(
        moments: UnsafePointer<Float>, dMoments: UnsafeMutablePointer<Float>, scale: Float,
        batch: Int, latent: Int, weights: UnsafePointer<Float>? = nil
    ) {
        for r in 0..<batch {
            let mu = moments + r * 2 * latent, lv = mu + latent
            let dmu = dMoments + r * 2 * latent, dlv = dmu + latent
            for j in 0..<latent {
                let s = weights.map { scale * $0[j] } ?? scale
                dmu[j] += s * mu[j]
                dlv[j] += s * 0.5 * (exp(lv[j]) - 1)
            }
        }
    }
}

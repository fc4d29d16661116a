import Foundation

// The encoder emits, per example, Z means followed by Z log-variances ("moments", [B x 2Z]).

/// Reparameterised sampling, z = mu + eps * exp(lv / 2) with eps ~ N(0, I) drawn outside,
/// so the sample is a differentiable function of the encoder's outputs.
/// With `samples` K > 1, example r's K samples are rows r*K ..< (r+1)*K of `eps` and `z`.
public enum Reparameterization {
    public static func forward(
        moments: UnsafePointer<Float>, eps: UnsafePointer<Float>, z: UnsafeMutablePointer<Float>,
        batch: Int, latent: Int, samples: Int = 1
    ) {
        for r in 0..<batch {
            let mu = moments + r * 2 * latent, lv = mu + latent
            for s in r * samples..<(r + 1) * samples {
                let e = eps + s * latent, out = z + s * latent
                for j in 0..<latent { out[j] = mu[j] + e[j] * exp(0.5 * lv[j]) }
            }
        }
    }

    /// dmu = dz ; dlv = dz * eps * exp(lv / 2) / 2, summed over an example's samples.
    /// Overwrites `dMoments`.
    public static func backward(
        moments: UnsafePointer<Float>, eps: UnsafePointer<Float>, dz: UnsafePointer<Float>,
        dMoments: UnsafeMutablePointer<Float>, batch: Int, latent: Int, samples: Int = 1
    ) {
        for r in 0..<batch {
            let lv = moments + r * 2 * latent + latent
            let dmu = dMoments + r * 2 * latent, dlv = dmu + latent
            for j in 0..<latent { dmu[j] = 0; dlv[j] = 0 }
            for s in r * samples..<(r + 1) * samples {
                let e = eps + s * latent, g = dz + s * latent
                for j in 0..<latent {
                    dmu[j] += g[j]
                    dlv[j] += g[j] * e[j] * 0.5 * exp(0.5 * lv[j])
                }
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

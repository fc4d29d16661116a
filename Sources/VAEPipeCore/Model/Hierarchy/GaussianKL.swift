import Foundation

/// KL(q || p) between two diagonal Gaussians given by means and log-variances, element by
/// element, and its derivatives: the per-group term of the hierarchical ELBO.
///
///     KL = (pv - qv) / 2 + (e^qv + (qm - pm)^2) / (2 e^pv) - 1/2
///     dKL/dqm = (qm - pm) / e^pv                  dKL/dpm = -dKL/dqm
///     dKL/dqv = (e^qv / e^pv - 1) / 2            dKL/dpv = (1 - (e^qv + (qm - pm)^2) / e^pv) / 2
enum GaussianKL {
    @inline(__always)
    static func value(qm: Float, qv: Float, pm: Float, pv: Float) -> Float {
        let d = qm - pm
        return 0.5 * (pv - qv) + 0.5 * (exp(qv) + d * d) * exp(-pv) - 0.5
    }

    /// The four derivatives, each times `scale`.
    @inline(__always)
    static func gradient(qm: Float, qv: Float, pm: Float, pv: Float, scale: Float)
        -> (qm: Float, qv: Float, pm: Float, pv: Float) {
        let d = qm - pm, ip = exp(-pv), eq = exp(qv)
        let gm = d * ip * scale
        return (gm, 0.5 * (eq * ip - 1) * scale, -gm, 0.5 * (1 - (eq + d * d) * ip) * scale)
    }
}

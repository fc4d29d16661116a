import Foundation
import VAEPipeCore

/// The continuous Bernoulli (Loaiza-Ganem and Cunningham 2019), a proper density on [0, 1]:
/// p(x | λ) = C(λ) λ^x (1 - λ)^(1 - x), λ = sigmoid(l). In logits its normaliser is
/// C = l / tanh(l / 2) (2 at l = 0), so -log p = softplus(l) - x l - log(l / tanh(l / 2)), and
/// d/dl = sigmoid(l) - x - (1/l - 1/sinh l). Near l = 0, where both forms divide 0 by 0, their
/// series are used: log C = log 2 + l^2/12 - 7 l^4/1440, 1/l - 1/sinh l = l/6 - 7 l^3/360.
public final class ContinuousBernoulliHead: LikelihoodHead {
    public static let id = "cbernoulli"
    public static let summary = "continuous Bernoulli: a normalised density on [0, 1] for pixels in between 0 and 1"
    public let options: HeadOptions

    public init(options: HeadOptions) throws {
        guard options.binarize == .none else {
            throw VAEPipeError.invalidOption("--binarize \(options.binarize.rawValue) needs the bernoulli head; cbernoulli models continuous pixels")
        }
        self.options = options
    }

    /// Below this |l| the series are exact to Float precision.
    static let small: Float = 1e-2

    /// log C(l) = log(l / tanh(l / 2)).
    public static func logNormalizer(_ l: Float) -> Float {
        let a = abs(l)
        if a < small { let l2 = l * l; return Float(M_LN2) + l2 / 12 - 7 * l2 * l2 / 1440 }
        return log(a / abs(tanh(a / 2)))
    }

    /// d log C / dl = 1/l - 1/sinh(l), in Double: the two terms nearly cancel for small l.
    public static func logNormalizerSlope(_ l: Float) -> Float {
        if abs(l) < small { return l / 6 - 7 * l * l * l / 360 }
        let d = Double(l)
        return Float(1 / d - 1 / sinh(d))
    }

    public func score(rows range: Range<Int>, _ batch: HeadBatch) {
        let d = batch.dimension, scale = batch.scale
        for r in range {
            var sum: Float = 0
            for i in r * d..<(r + 1) * d {
                let l = batch.logits[i], x = batch.targets[i]
                let e = exp(-abs(l))
                sum += max(l, 0) + log1p(e) - x * l - Self.logNormalizer(l)
                if let g = batch.dLogits {
                    let sigmoid = (l >= 0 ? 1 : e) / (1 + e)
                    g[i] = scale * (sigmoid - x - Self.logNormalizerSlope(l))
                }
            }
            batch.nll[r] = sum
        }
    }

    /// E[x] = sigmoid(l) / tanh(l/2) - 1/l (1/2 + l/12 - l^3/720 near 0).
    public func mean(logits: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let l = logits[i]
            if abs(l) < Self.small { out[i] = 0.5 + l / 12 - l * l * l / 720; continue }
            let sigmoid = 1 / (1 + exp(-l))
            out[i] = min(1, max(0, sigmoid / tanh(l / 2) - 1 / l))
        }
    }
}

import Foundation
import VAEPipeCore

/// p(x|z) = prod Bernoulli(x_i; sigmoid(l_i)), scored from the logits l directly:
/// -log p = softplus(l) - x l, with softplus(l) = max(l, 0) + log1p(exp(-|l|)) so that neither
/// exp overflows nor log(0) appears for large |l|. Gradient: sigmoid(l) - x.
/// With [0, 1] intensities as targets this is binary cross-entropy, as in the reference.
public final class BernoulliHead: LikelihoodHead {
    public static let id = "bernoulli"
    public static let summary = "Bernoulli pixels from logits (binary cross-entropy); --binarize none|threshold|dynamic"
    public let options: HeadOptions

    public init(options: HeadOptions) { self.options = options }

    public var isDiscrete: Bool { true }

    public func prepare(_ x: UnsafeMutablePointer<Float>, count: Int, rng: inout SplitMix64) {
        options.binarize.apply(x, count: count, rng: &rng)
    }

    public func mean(logits: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        VectorMath.sigmoid(logits, into: out, count: count)
    }
}

extension BernoulliHead {
    public func score(rows range: Range<Int>, _ batch: HeadBatch) {
        typealias V = VectorMath.V
        let dimension = batch.dimension, scale = batch.scale
        for r in range {
            let l = batch.logits + r * dimension, x = batch.targets + r * dimension
            let g = batch.dLogits.map { $0 + r * dimension }
            var acc = V(), i = 0
            while i + 8 <= dimension {
                let li = VectorMath.load(l + i), xi = VectorMath.load(x + i)
                let e = VectorMath.exp(VectorMath.min(li, -li))  // exp(-|l|)
                acc += VectorMath.max(li, V()) + VectorMath.log1pUnit(e) - xi * li
                if let g {
                    // sigmoid from the same exp: 1/(1+e) for l >= 0, e/(1+e) otherwise.
                    let sig = V(repeating: 1).replacing(with: e, where: li .< 0) / (1 + e)
                    VectorMath.store(scale * (sig - xi), g + i)
                }
                i += 8
            }
            var s = acc.sum()
            for i in i..<dimension {
                let e = exp(-abs(l[i]))
                s += max(l[i], 0) + log1p(e) - x[i] * l[i]
                if let g { g[i] = scale * ((l[i] >= 0 ? 1 : e) / (1 + e) - x[i]) }
            }
            batch.nll[r] = s
        }
    }
}

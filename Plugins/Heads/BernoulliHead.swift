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
    /// In CKernels, at the CPU's vector width (the same arithmetic as VectorMath's, bit for bit).
    public func score(rows range: Range<Int>, _ batch: HeadBatch) { HeadKernels.bernoulli(rows: range, batch) }
}

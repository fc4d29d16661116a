import CKernels

/// The heads' per-pixel loops that run in CKernels, compiled for the CPU's instruction set
/// (Swift's SIMD8<Float> is two SSE registers on baseline x86-64).
public enum HeadKernels {
    /// `BernoulliHead`'s scoring of rows `range` of `batch`: -log p per row and, with dLogits,
    /// scale * (sigmoid(l) - x); the bits of VectorMath's loop (see vp_bernoulli_rows).
    public static func bernoulli(rows range: Range<Int>, _ batch: HeadBatch) {
        vp_bernoulli_rows(batch.logits, batch.targets, range.lowerBound, range.upperBound, batch.dimension,
                          batch.nll, batch.dLogits, batch.scale)
    }

    /// `GaussianHead`'s rows `range` with one sigma: each row's sum of squared errors of
    /// sigmoid(l) into `squares`, and with dLogits the gradient of the squares over 2 sigma^2
    /// (see vp_gaussian_rows).
    public static func gaussian(rows range: Range<Int>, _ batch: HeadBatch, inverseVariance: Float,
                                squares: UnsafeMutablePointer<Float>) {
        vp_gaussian_rows(batch.logits, batch.targets, range.lowerBound, range.upperBound, batch.dimension,
                         squares, batch.dLogits, batch.scale, inverseVariance)
    }
}

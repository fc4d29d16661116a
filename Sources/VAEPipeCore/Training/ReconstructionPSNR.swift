import Foundation

extension Evaluator {
    /// How sharp the reconstructions are: each example decoded from its posterior mean (the
    /// decoder's mean image, as the galleries draw it), against the example, as a peak
    /// signal-to-noise ratio 10 log10(1 / MSE) in dB for [0, 1] pixels, averaged over the examples
    /// of `set` (a perfect example counts as 100 dB rather than infinity).
    public static func reconstructionPSNR(_ model: VAE, on set: ImageSet) throws -> Double {
        let d = model.inputSize, capacity = model.capacity
        let x = FloatBuffer(count: capacity * d), mean = FloatBuffer(count: capacity * d)
        var total = 0.0, done = 0
        while done < set.count {
            let b = min(capacity, set.count - done)
            for r in 0..<b { try set.copyNormalized(done + r, into: x.pointer + r * d) }
            model.reconstructMean(x.pointer, batch: b, into: mean.pointer)
            for r in 0..<b {
                var sq = 0.0
                for i in r * d..<(r + 1) * d { let e = Double(x[i] - mean[i]); sq += e * e }
                total += min(100, 10 * log10(Double(d) / max(sq, 1e-300)))
            }
            done += b
        }
        return total / Double(max(set.count, 1))
    }
}

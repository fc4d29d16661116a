import Foundation
import VAEPipeKit

/// The "MSE" VAE of most tutorials as a proper density: Gaussian pixels with sigma fixed at 1,
/// -log p = sum_i (x_i - m_i)^2 / 2 + log(2 pi) / 2, m = sigmoid(l).
final class UnitGaussianHead: LikelihoodHead {
    static let id = "unit-gaussian"
    static let summary = "Gaussian pixels with sigma fixed at 1 (the tutorials' MSE), from a package built on VAEPipeKit"
    let options: HeadOptions

    init(options: HeadOptions) throws {
        guard options.binarize == .none else { throw VAEPipeError.invalidOption("unit-gaussian models continuous pixels") }
        self.options = options
    }

    func score(rows: Range<Int>, _ batch: HeadBatch) {
        let d = batch.dimension, constant = Float(d) * Float(0.5 * log(2 * Double.pi))
        for r in rows {
            var sum: Float = 0
            for i in r * d..<(r + 1) * d {
                let m = 1 / (1 + exp(-batch.logits[i])), diff = batch.targets[i] - m
                sum += diff * diff
                batch.dLogits?[i] = -batch.scale * diff * m * (1 - m)
            }
            batch.nll[r] = 0.5 * sum + constant
        }
    }

    func mean(logits: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { out[i] = 1 / (1 + exp(-logits[i])) }
    }
}

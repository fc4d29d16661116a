import Foundation
import VAEPipeCore

/// p(x|z) = prod N(x_i; m_i, sigma^2) with m = sigmoid(l) and one learned log sigma shared by
/// every pixel: -log p = sum_i (x_i - m_i)^2 / (2 sigma^2) + log sigma + log(2 pi) / 2.
/// The full density, constant included, so nats compare with any other Gaussian model.
public final class GaussianHead: LikelihoodHead {
    public static let id = "gaussian"
    public static let summary = "Gaussian pixels: mean = sigmoid(logits), one learned log-sigma shared by all pixels"
    public let options: HeadOptions
    private var logSigma: UnsafeMutablePointer<Float>!
    private static let halfLog2Pi = Float(0.5 * log(2 * Double.pi))

    public init(options: HeadOptions) throws {
        guard options.binarize == .none else {
            throw VAEPipeError.invalidOption("--binarize \(options.binarize.rawValue) needs the bernoulli head; the gaussian head models continuous pixels")
        }
        self.options = options
    }

    public var parameterSpecs: [ParameterSpec] { [ParameterSpec(name: "log_sigma", shape: [1])] }

    public func bind(values: UnsafeMutablePointer<Float>) { logSigma = values }

    public func initialize() { logSigma[0] = 0 }

    public func mean(logits: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        VectorMath.sigmoid(logits, into: out, count: count)
    }
}

extension GaussianHead {
    public func score(rows range: Range<Int>, _ batch: HeadBatch) {
        typealias V = VectorMath.V
        let ls = logSigma[0], dimension = batch.dimension, scale = batch.scale
        let invVar = exp(-2 * ls)
        let constant = Float(dimension) * (ls + Self.halfLog2Pi)
        for r in range {
            let l = batch.logits + r * dimension, x = batch.targets + r * dimension
            let g = batch.dLogits.map { $0 + r * dimension }
            var acc = V(), i = 0
            while i + 8 <= dimension {
                let m = VectorMath.sigmoid(VectorMath.load(l + i))
                let diff = VectorMath.load(x + i) - m
                acc += diff * diff
                // d/dl of diff^2/(2 sigma^2) = -(x - m) / sigma^2 * m (1 - m)
                if let g { VectorMath.store(-scale * invVar * diff * m * (1 - m), g + i) }
                i += 8
            }
            var sq = acc.sum()
            for i in i..<dimension {
                let m = 1 / (1 + exp(-l[i])), diff = x[i] - m
                sq += diff * diff
                if let g { g[i] = -scale * invVar * diff * m * (1 - m) }
            }
            let nll = 0.5 * sq * invVar + constant
            batch.nll[r] = nll
            // d/d(log sigma) of the row's NLL is D - sum diff^2 / sigma^2 = D - 2 (nll - constant).
            batch.dParameters?[r] = Float(dimension) - 2 * (nll - constant)
        }
    }
}

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
    private var dLogSigma: UnsafeMutablePointer<Float>!
    private static let halfLog2Pi = Float(0.5 * log(2 * Double.pi))

    public init(options: HeadOptions) throws {
        guard options.binarize == .none else {
            throw VAEPipeError.invalidOption("--binarize \(options.binarize.rawValue) needs the bernoulli head; the gaussian head models continuous pixels")
        }
        self.options = options
    }

    public var parameterSpecs: [ParameterSpec] { [ParameterSpec(name: "log_sigma", shape: [1])] }

    public func bind(values: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {
        logSigma = values; dLogSigma = gradients
    }

    public func initialize() { logSigma[0] = 0 }

    public func negativeLogLikelihood(
        logits: UnsafePointer<Float>, targets: UnsafePointer<Float>, batch: Int, dimension: Int,
        nll: UnsafeMutablePointer<Float>, dLogits: UnsafeMutablePointer<Float>?, scale: Float
    ) {
        let ls = logSigma[0]
        let invVar = exp(-2 * ls)
        let constant = Float(dimension) * (ls + Self.halfLog2Pi)
        var dls: Float = 0
        for r in 0..<batch {
            let l = logits + r * dimension, x = targets + r * dimension
            var sq: Float = 0
            if let dLogits {
                let g = dLogits + r * dimension
                for i in 0..<dimension {
                    let m = 1 / (1 + exp(-l[i]))
                    let diff = x[i] - m
                    sq += diff * diff
                    // d/dl of diff^2/(2 sigma^2) = -(x - m) / sigma^2 * m (1 - m)
                    g[i] = -scale * diff * invVar * m * (1 - m)
                }
            } else {
                for i in 0..<dimension {
                    let diff = x[i] - 1 / (1 + exp(-l[i]))
                    sq += diff * diff
                }
            }
            nll[r] = 0.5 * sq * invVar + constant
            // d/d(log sigma) of the example's NLL: -sum diff^2 / sigma^2 + D
            dls += Float(dimension) - sq * invVar
        }
        if dLogits != nil { dLogSigma[0] += scale * dls }
    }

    public func mean(logits: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { out[i] = 1 / (1 + exp(-logits[i])) }
    }
}

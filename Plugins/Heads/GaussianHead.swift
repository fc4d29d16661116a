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

    private let rows = Rows()

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
        rows.invVar = invVar; rows.constant = constant
        rows.set(logits: logits, targets: targets, dimension: dimension, nll: nll, dLogits: dLogits, scale: scale)
        Parallel.forRanges(batch, minimumChunk: max(1, 32_768 / max(dimension, 1)), rows)
        guard dLogits != nil else { return }
        // d/d(log sigma) of an example's NLL is D - sum diff^2 / sigma^2 = D - 2 (nll - constant).
        var dls: Float = 0
        for r in 0..<batch { dls += Float(dimension) - 2 * (nll[r] - constant) }
        dLogSigma[0] += scale * dls
    }

    public func mean(logits: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        VectorMath.sigmoid(logits, into: out, count: count)
    }
}

/// The per-row work, split over the cores.
private final class Rows: HeadRows, RangeKernel {
    var invVar: Float = 1, constant: Float = 0

    func run(_ range: Range<Int>) {
        typealias V = VectorMath.V
        let dimension = dimension, scale = scale, invVar = invVar, constant = constant
        for r in range {
            let l = logits! + r * dimension, x = targets! + r * dimension
            let g = dLogits.map { $0 + r * dimension }
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
            nll![r] = 0.5 * sq * invVar + constant
        }
    }
}

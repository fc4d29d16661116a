import Foundation
import VAEPipeCore

/// p(x|z) = prod N(x_i; m_i, sigma_i^2) with m = sigmoid(l):
/// -log p = sum_i (x_i - m_i)^2 / (2 sigma_i^2) + log sigma_i + log(2 pi) / 2.
/// The full density, constant included, so nats compare with any other head. Where sigma comes
/// from is `--sigma` (`GaussianSigma`): one learned log sigma shared by every value (the
/// default), the optimal shared sigma of each training batch, a learned log sigma per value, or
/// a fixed number. Every mode but the fixed one keeps its log sigma in the parameter `log_sigma`.
public final class GaussianHead: LikelihoodHead {
    public static let id = "gaussian"
    public static let summary = "Gaussian pixels, mean = sigmoid(logits); --sigma learned (one shared, the default) | optimal (sigma-VAE: each batch's best) | pixel (learned per value) | a fixed number (1: the tutorials' MSE)"
    public static var takesSigma: Bool { true }
    public let options: HeadOptions
    let sigma: GaussianSigma
    /// The log sigma in use: [1] shared or [D] per value, in the model's parameter buffer.
    private var logSigma: UnsafeMutablePointer<Float>!
    private let fixedLogSigma: Float
    /// pixel: 1/sigma_i^2 and sum_i log sigma_i, made once per batch from the parameters.
    private var inverseVariance: FloatBuffer?
    private var logSigmaSum: Float = 0
    static let halfLog2Pi = Float(0.5 * log(2 * Double.pi))

    public init(options: HeadOptions) throws {
        guard options.binarize == .none else {
            throw VAEPipeError.invalidOption("--binarize \(options.binarize.rawValue) needs the bernoulli head; the gaussian head models continuous pixels")
        }
        if let problem = options.problem { throw VAEPipeError.invalidOption(problem) }
        sigma = options.sigma ?? .learned
        if sigma == .pixel && options.dimension == nil {
            throw VAEPipeError.invalidOption("--sigma pixel needs the number of values per example (HeadOptions.dimension)")
        }
        if case .fixed(let s) = sigma { fixedLogSigma = log(s) } else { fixedLogSigma = 0 }
        self.options = options
    }

    public var parameterSpecs: [ParameterSpec] {
        switch sigma {
        case .learned, .optimal: return [ParameterSpec(name: "log_sigma", shape: [1])]
        case .pixel: return [ParameterSpec(name: "log_sigma", shape: [options.dimension!])]
        case .fixed: return []
        }
    }

    public func bind(values: UnsafeMutablePointer<Float>) {
        logSigma = values
        if sigma == .pixel { inverseVariance = FloatBuffer(count: options.dimension!) }
    }

    /// sigma = 1 to start with (optimal: until the first training batch sets it).
    public func initialize() {
        let count = parameterSpecs.first?.count ?? 0
        logSigma?.update(repeating: 0, count: count)
    }

    public var sumsOverBatch: Bool { sigma == .optimal }

    public func beginBatch(_ batch: HeadBatch) {
        switch sigma {
        case .optimal where batch.dLogits != nil: logSigma[0] = Self.optimalLogSigma(batch)
        case .pixel:
            precondition(batch.dimension == options.dimension, "gaussian: a head for \(options.dimension!) values scored on \(batch.dimension)")
            var sum = 0.0
            for i in 0..<batch.dimension {
                inverseVariance![i] = exp(-2 * logSigma[i])
                sum += Double(logSigma[i])
            }
            logSigmaSum = Float(sum)
        default: break
        }
    }

    public func mean(logits: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        VectorMath.sigmoid(logits, into: out, count: count)
    }

    public func score(rows range: Range<Int>, _ batch: HeadBatch) {
        switch sigma {
        case .learned: scoreShared(range, batch, logSigma: logSigma[0], learned: true)
        case .optimal: scoreShared(range, batch, logSigma: logSigma[0], learned: false)
        case .fixed: scoreShared(range, batch, logSigma: fixedLogSigma, learned: false)
        case .pixel: scorePerValue(range, batch)
        }
    }
}

extension GaussianHead {
    /// One sigma for every value. `learned`: the rows' gradients for it; otherwise sigma is a
    /// constant to the logits (optimal: see `optimalLogSigma`) and its gradient, if asked, is 0,
    /// so Adam never moves the stored value.
    func scoreShared(_ range: Range<Int>, _ batch: HeadBatch, logSigma ls: Float, learned: Bool) {
        let dimension = batch.dimension
        let invVar = exp(-2 * ls)
        let constant = Float(dimension) * (ls + Self.halfLog2Pi)
        // Each row's squared errors (and, d/dl of diff^2/(2 sigma^2) = -(x - m) / sigma^2 * m (1 - m),
        // the logits' gradients) in CKernels at the CPU's vector width, into nll; finished here.
        HeadKernels.gaussian(rows: range, batch, inverseVariance: invVar, squares: batch.nll)
        for r in range {
            let nll = 0.5 * batch.nll[r] * invVar + constant
            batch.nll[r] = nll
            // d/d(log sigma) of the row's NLL is D - sum diff^2 / sigma^2 = D - 2 (nll - constant).
            batch.dParameters?[r] = learned ? Float(dimension) - 2 * (nll - constant) : 0
        }
    }

    /// A log sigma per value: d nll / d log sigma_i = 1 - (x_i - m_i)^2 / sigma_i^2.
    func scorePerValue(_ range: Range<Int>, _ batch: HeadBatch) {
        typealias V = VectorMath.V
        let dimension = batch.dimension, scale = batch.scale, iv = inverseVariance!.pointer
        let constant = logSigmaSum + Float(dimension) * Self.halfLog2Pi
        for r in range {
            let l = batch.logits + r * dimension, x = batch.targets + r * dimension
            let g = batch.dLogits.map { $0 + r * dimension }, p = batch.dParameters.map { $0 + r * dimension }
            var acc = V(), i = 0
            while i + 8 <= dimension {
                let m = VectorMath.sigmoid(VectorMath.load(l + i)), w = VectorMath.load(iv + i)
                let diff = VectorMath.load(x + i) - m, z2 = diff * diff * w
                acc += z2
                if let g { VectorMath.store(-scale * w * diff * m * (1 - m), g + i) }
                if let p { VectorMath.store(1 - z2, p + i) }
                i += 8
            }
            var sum = acc.sum()
            for i in i..<dimension {
                let m = 1 / (1 + exp(-l[i])), diff = x[i] - m, z2 = diff * diff * iv[i]
                sum += z2
                g?[i] = -scale * iv[i] * diff * m * (1 - m)
                p?[i] = 1 - z2
            }
            batch.nll[r] = 0.5 * sum + constant
        }
    }

    /// sigma*^2 = the mean of (x - m)^2 over the batch's rows and values (Rybkin et al. 2021),
    /// where d(sum NLL)/d sigma = 0: so the gradient for the logits at a fixed sigma* is the
    /// gradient of the whole objective, sigma* moving with the logits included. Floored at
    /// `GaussianSigma.floor` (where the floor holds, sigma is simply a constant).
    /// The mean is over the whole batch (HeadBatch.sumOverBatch): under mpirun every process
    /// fits the same sigma* from all the shares, with the bits one process gets alone.
    static func optimalLogSigma(_ batch: HeadBatch) -> Float {
        typealias V = VectorMath.V
        let d = batch.dimension
        let total = batch.sumOverBatch { r in
            let l = batch.logits + r * d, x = batch.targets + r * d
            var acc = V(), i = 0
            while i + 8 <= d {
                let diff = VectorMath.load(x + i) - VectorMath.sigmoid(VectorMath.load(l + i))
                acc += diff * diff
                i += 8
            }
            var sq = acc.sum()
            for i in i..<d { let diff = x[i] - 1 / (1 + exp(-l[i])); sq += diff * diff }
            return Double(sq)
        }
        let variance = max(total / Double(batch.wholeBatchRows * d), Double(GaussianSigma.floor * GaussianSigma.floor))
        return Float(0.5 * log(variance))
    }
}

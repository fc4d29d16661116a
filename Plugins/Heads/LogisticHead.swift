import Foundation
import VAEPipeCore

/// A discretised logistic over the 256 levels of 8-bit pixels (Salimans et al. 2017, PixelCNN++,
/// one component): with h = 1/510, half a level, m = sigmoid(l) and s = exp(log_scale_i),
///     P(x) = F((x + h - m) / s) - F((x - h - m) / s),  F = sigmoid, the logistic CDF,
/// the levels 0 and 255 taking the tails (F = 0 below level 0, 1 above level 255). A true
/// probability of the data, whose values are k/255: the 256 probabilities add up to 1.
///
/// In log space, with a = (x + h - m) / s, b = (x - h - m) / s and δ = a - b = 2h / s:
///     sigmoid(a) - sigmoid(b) = sigmoid(a) sigmoid(-b) (1 - e^-δ),
///     log P = -softplus(-a) - softplus(b) + log(-expm1(-δ)),
/// level 0: -softplus(-a), level 255: -softplus(b). No difference of CDFs is ever taken, so
/// nothing cancels or underflows far in the tails, where PixelCNN++ falls back to the density at
/// the bin centre (an approximation of what this computes exactly).
/// Gradients of the NLL: dm = (sigmoid(-a) - sigmoid(b)) / s, d log s = a sigmoid(-a) -
/// b sigmoid(b) + δ / expm1(δ) (the a-terms absent at level 255, the b-terms at 0, δ's at both).
///
/// One log scale per pixel and channel, not one shared: the black border of a digit or a garment
/// is certain where its middle is not, and with the mean in [0, 1] only a small scale puts
/// level 0's probability near 1 (it is at most sigmoid(h / s)); a shared scale would have to
/// compromise between the two. The decoder's one output per value is the mean.
public final class LogisticHead: LikelihoodHead {
    public static let id = "logistic"
    public static let summary = "discretised logistic over the 256 levels of 8-bit pixels (PixelCNN++, one component): mean = sigmoid(logits), a learned log scale per value; a true probability"
    public let options: HeadOptions
    private let dimension: Int
    private var logScale: UnsafeMutablePointer<Float>!
    /// Per value, made once per batch from the log scales: 1/s, log(1 - e^-δ) and δ / expm1(δ).
    private var inverseScale: FloatBuffer!
    private var logBin: FloatBuffer!
    private var binSlope: FloatBuffer!

    /// Half of one of the 255 steps between levels, in [0, 1] units.
    public static let halfLevel: Float = 1.0 / 510
    /// s = e^-2, about 35 levels: near the size of a young decoder's errors. Far below them,
    /// each value costs about |x - m| / s nats, dozens in the first epochs; and Adam moves a log
    /// scale by about the learning rate a step, so the start is where short runs stay.
    public static let initialLogScale: Float = -2

    public init(options: HeadOptions) throws {
        guard options.binarize == .none else {
            throw VAEPipeError.invalidOption("--binarize \(options.binarize.rawValue) needs the bernoulli head; the logistic head models all 256 levels of a pixel")
        }
        if let problem = options.problem { throw VAEPipeError.invalidOption(problem) }
        guard let dimension = options.dimension else {
            throw VAEPipeError.invalidOption("the logistic head needs the number of values per example (HeadOptions.dimension)")
        }
        self.options = options
        self.dimension = dimension
    }

    public var isDiscrete: Bool { true }

    public var parameterSpecs: [ParameterSpec] { [ParameterSpec(name: "log_scale", shape: [dimension])] }

    public func bind(values: UnsafeMutablePointer<Float>) {
        logScale = values
        inverseScale = FloatBuffer(count: dimension)
        logBin = FloatBuffer(count: dimension)
        binSlope = FloatBuffer(count: dimension)
    }

    public func initialize() { logScale.update(repeating: Self.initialLogScale, count: dimension) }

    public func beginBatch(_ batch: HeadBatch) {
        precondition(batch.dimension == dimension, "logistic: a head for \(dimension) values scored on \(batch.dimension)")
        for i in 0..<dimension {
            let inverse = exp(-Double(logScale[i])), delta = 2 * Double(Self.halfLevel) * inverse
            inverseScale[i] = Float(inverse)
            logBin[i] = Float(log(-expm1(-delta)))
            // δ / expm1(δ) -> 1 as δ -> 0 (a scale of many levels).
            binSlope[i] = delta > 1e-12 ? Float(delta / expm1(delta)) : 1
        }
    }

    /// sigmoid(l): the location of each value's logistic, in [0, 1].
    public func mean(logits: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        VectorMath.sigmoid(logits, into: out, count: count)
    }

    public func score(rows range: Range<Int>, _ batch: HeadBatch) {
        typealias V = VectorMath.V
        let d = dimension, scale = batch.scale
        let iv = inverseScale.pointer, lb = logBin.pointer, sl = binSlope.pointer
        for r in range {
            let l = batch.logits + r * d, x = batch.targets + r * d
            let g = batch.dLogits.map { $0 + r * d }, p = batch.dParameters.map { $0 + r * d }
            var acc = V(), i = 0
            while i < d {
                // The last values of a row as a part-filled vector (lanes past the row masked out).
                let n = min(8, d - i)
                let v = Self.values(l: Self.load(l + i, n), x: Self.load(x + i, n), inverseScale: Self.load(iv + i, n),
                                    logBin: Self.load(lb + i, n), binSlope: Self.load(sl + i, n))
                if n == 8 {
                    acc += v.nll
                    if let g { VectorMath.store(scale * v.dLogit, g + i) }
                    if let p { VectorMath.store(v.dLogScale, p + i) }
                } else {
                    for k in 0..<n {
                        acc[k] += v.nll[k]
                        g?[i + k] = scale * v.dLogit[k]
                        p?[i + k] = v.dLogScale[k]
                    }
                }
                i += n
            }
            batch.nll[r] = acc.sum()
        }
    }

    /// -log P of eight values and its derivatives (see the type's comment).
    @inline(__always)
    static func values(l: VectorMath.V, x: VectorMath.V, inverseScale: VectorMath.V, logBin: VectorMath.V,
                       binSlope: VectorMath.V) -> (nll: VectorMath.V, dLogit: VectorMath.V, dLogScale: VectorMath.V) {
        typealias V = VectorMath.V
        let one = V(repeating: 1), zero = V()
        let m = VectorMath.sigmoid(l)
        let a = (x + halfLevel - m) * inverseScale, b = (x - halfLevel - m) * inverseScale
        // The a-terms (the bin's upper edge) vanish at level 255, the b-terms at level 0.
        let top = x .> 1 - halfLevel, bottom = x .< halfLevel
        let wa = one.replacing(with: zero, where: top), wb = one.replacing(with: zero, where: bottom)
        let wBin = wa * wb
        // softplus(u) = max(u, 0) + log1p(e^-|u|), and sigmoid from the same exponential.
        let ea = VectorMath.exp(-VectorMath.max(a, -a)), eb = VectorMath.exp(-VectorMath.max(b, -b))
        let softplusMinusA = VectorMath.max(-a, zero) + VectorMath.log1pUnit(ea)
        let softplusB = VectorMath.max(b, zero) + VectorMath.log1pUnit(eb)
        let sigmoidMinusA = one.replacing(with: ea, where: a .>= 0) / (1 + ea)
        let sigmoidB = one.replacing(with: eb, where: b .< 0) / (1 + eb)
        let nll = wa * softplusMinusA + wb * softplusB - wBin * logBin
        let dMean = (wa * sigmoidMinusA - wb * sigmoidB) * inverseScale
        let dLogScale = wa * a * sigmoidMinusA - wb * b * sigmoidB + wBin * binSlope
        return (nll, dMean * m * (1 - m), dLogScale)
    }

    /// `n` floats from `p` into a vector, the rest of its lanes 0.
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ n: Int) -> VectorMath.V {
        if n == 8 { return VectorMath.load(p) }
        var v = VectorMath.V()
        for k in 0..<n { v[k] = p[k] }
        return v
    }
}

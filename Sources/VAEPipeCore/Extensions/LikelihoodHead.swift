/// How pixel intensities are turned into binary observations before a Bernoulli head sees them.
public enum Binarization: String, CaseIterable, Codable, Sendable {
    /// Keep the [0, 1] intensities as soft targets (the reference's choice).
    case none
    /// x > 0.5 becomes 1, else 0, once and deterministically.
    case threshold
    /// A fresh x ~ Bernoulli(intensity) every time an example is seen.
    case dynamic
}

/// Options a head may use; a head that cannot honour one throws from its initialiser.
public struct HeadOptions: Codable, Sendable, Equatable {
    public var binarize: Binarization
    public init(binarize: Binarization = .none) { self.binarize = binarize }
}

/// p(x | z): scores the decoder's outputs ("logits", one per pixel and channel) against the data.
/// A plugin: a conformance plus one line in the builtin registration list.
public protocol LikelihoodHead: AnyObject {
    static var id: String { get }
    static var summary: String { get }
    init(options: HeadOptions) throws
    var options: HeadOptions { get }

    /// Learned parameters of the head itself (the Gaussian's shared log sigma), stored in the
    /// model's flat buffer like any layer's.
    var parameterSpecs: [ParameterSpec] { get }
    func bind(values: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>)
    func initialize()

    /// Turns a batch of [0, 1] intensities into the observations this head models, in place.
    func prepare(_ x: UnsafeMutablePointer<Float>, count: Int, rng: inout SplitMix64)

    /// Per-example negative log-likelihood summed over the `dimension` outputs, into `nll[batch]`.
    /// With `dLogits`, also writes scale * dNLL/dlogits there and adds scale * dNLL/dθ to the
    /// head's own gradients.
    func negativeLogLikelihood(
        logits: UnsafePointer<Float>, targets: UnsafePointer<Float>, batch: Int, dimension: Int,
        nll: UnsafeMutablePointer<Float>, dLogits: UnsafeMutablePointer<Float>?, scale: Float)

    /// The mean of p(x | z) in [0, 1]: what the galleries draw.
    func mean(logits: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int)
}

extension LikelihoodHead {
    public var parameterSpecs: [ParameterSpec] { [] }
    public func bind(values: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {}
    public func initialize() {}
    public func prepare(_ x: UnsafeMutablePointer<Float>, count: Int, rng: inout SplitMix64) {}
}

/// The arguments of one `negativeLogLikelihood` call, kept by a head's row kernel (a
/// `RangeKernel` subclass allocated once) so the rows can be split over the cores without
/// allocating per call.
open class HeadRows {
    public var logits: UnsafePointer<Float>?
    public var targets: UnsafePointer<Float>?
    public var nll: UnsafeMutablePointer<Float>?
    public var dLogits: UnsafeMutablePointer<Float>?
    public var dimension = 0
    public var scale: Float = 1

    public init() {}

    public func set(logits: UnsafePointer<Float>, targets: UnsafePointer<Float>, dimension: Int,
                    nll: UnsafeMutablePointer<Float>, dLogits: UnsafeMutablePointer<Float>?, scale: Float) {
        self.logits = logits; self.targets = targets; self.dimension = dimension
        self.nll = nll; self.dLogits = dLogits; self.scale = scale
    }
}

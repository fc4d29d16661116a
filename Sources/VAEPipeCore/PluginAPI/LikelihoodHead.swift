/// How pixel intensities are turned into binary observations before a Bernoulli head sees them.
public enum Binarization: String, CaseIterable, Codable, Sendable {
    /// Keep the [0, 1] intensities as soft targets (the reference's choice).
    case none
    /// x > 0.5 becomes 1, else 0, once and deterministically.
    case threshold
    /// A fresh x ~ Bernoulli(intensity) every time an example is seen.
    case dynamic
}

extension Binarization {
    /// Turns [0, 1] intensities into the observations this mode asks for, in place.
    public func apply(_ x: UnsafeMutablePointer<Float>, count: Int, rng: inout SplitMix64) {
        switch self {
        case .none: return
        case .threshold: for i in 0..<count { x[i] = x[i] > 0.5 ? 1 : 0 }
        case .dynamic: for i in 0..<count { x[i] = rng.nextUniform() < x[i] ? 1 : 0 }
        }
    }
}

/// Options a head may use; a head that cannot honour one throws from its initialiser.
/// Stored in every checkpoint's configuration: a key an older vaepipe did not write decodes
/// as nil, which means what the heads did before the key existed.
public struct HeadOptions: Codable, Sendable, Equatable {
    public var binarize: Binarization
    /// The gaussian head's sigma; nil: not asked for (the gaussian head then learns one).
    public var sigma: GaussianSigma?
    /// Values per example (D), for heads with a parameter per pixel and channel.
    public var dimension: Int?

    public init(binarize: Binarization = .none, sigma: GaussianSigma? = nil, dimension: Int? = nil) {
        self.binarize = binarize; self.sigma = sigma; self.dimension = dimension
    }

    /// Why these options cannot be used by any head, or nil.
    public var problem: String? {
        if let dimension, dimension < 1 { return "a head for \(dimension) values per example cannot be built" }
        return sigma?.problem
    }

    /// The error for a sigma given to a head that has none.
    public static func noSigma(head: String) -> VAEPipeError {
        .invalidOption("--sigma is an option of the gaussian head; the \(head) head has no sigma")
    }
}

/// p(x | z): scores the decoder's outputs ("logits", one per pixel and channel) against the data.
/// This is what the model calls; a head written in Swift is a `LikelihoodHead`, and a head
/// loaded through the C ABI is wrapped into one of these.
///
/// A head scores rows; `HeadScorer` splits a batch's rows over the cores and adds up the
/// per-row gradients of the head's own parameters in row order, so a head never writes shared
/// state and its sums come out the same on any number of threads.
public protocol Likelihood: AnyObject {
    var options: HeadOptions { get }

    /// Learned parameters of the head itself (the Gaussian's shared log sigma), stored in the
    /// model's flat buffer like any layer's; `bind` says where their values live.
    var parameterSpecs: [ParameterSpec] { get }
    func bind(values: UnsafeMutablePointer<Float>)
    func initialize()

    /// Turns a batch of [0, 1] intensities into the observations this head models, in place.
    func prepare(_ x: UnsafeMutablePointer<Float>, count: Int, rng: inout SplitMix64)

    /// Once per batch, before any of its rows is scored, on the calling thread.
    func beginBatch(_ batch: HeadBatch)

    /// Rows `rows` of `batch`: for each row r, nll[r] = -log p(x_r | z_r) summed over the
    /// `dimension` outputs; with dLogits, scale * dnll[r]/dlogits there; with dParameters,
    /// dnll[r]/dθ (not scaled) at dParameters[r * P ..< (r + 1) * P], P the head's parameter count.
    /// Called from several threads at once on disjoint row ranges: write only those rows.
    func score(rows: Range<Int>, _ batch: HeadBatch)

    /// The mean of p(x | z) in [0, 1]: what the galleries draw.
    func mean(logits: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int)

    /// True when p(x | z) is a probability of discrete values (Bernoulli), false for a density
    /// over [0, 1] (whose bits per dimension on 8-bit data add log 256 per value, the usual
    /// uniform-dequantisation convention).
    var isDiscrete: Bool { get }

    /// True when `beginBatch` of every training batch (dLogits given) calls
    /// `HeadBatch.sumOverBatch` exactly once: under mpirun a process with no rows of a batch
    /// then joins that sum with nothing.
    var sumsOverBatch: Bool { get }
}

/// A likelihood head written in Swift. A plugin: a conformance plus one registration line.
public protocol LikelihoodHead: Likelihood {
    static var id: String { get }
    static var summary: String { get }
    /// Whether the head reads `HeadOptions.sigma`; the registry refuses a sigma for any other.
    static var takesSigma: Bool { get }
    init(options: HeadOptions) throws
}

extension LikelihoodHead {
    public static var takesSigma: Bool { false }
}

extension Likelihood {
    public var parameterSpecs: [ParameterSpec] { [] }
    public func bind(values: UnsafeMutablePointer<Float>) {}
    public func initialize() {}
    public func prepare(_ x: UnsafeMutablePointer<Float>, count: Int, rng: inout SplitMix64) {}
    public func beginBatch(_ batch: HeadBatch) {}
    public var isDiscrete: Bool { false }
    public var sumsOverBatch: Bool { false }
}

/// One batch as a head sees it: rows x dimension logits and targets, and where results go.
public struct HeadBatch {
    public var logits: UnsafePointer<Float>
    public var targets: UnsafePointer<Float>
    public var rows: Int
    public var dimension: Int
    public var nll: UnsafeMutablePointer<Float>
    public var dLogits: UnsafeMutablePointer<Float>?
    public var dParameters: UnsafeMutablePointer<Float>?
    public var scale: Float
    /// Who sums over the whole batch (the model's scorer; nil: these rows are the batch).
    unowned(unsafe) var summer: HeadScorer?

    public init(logits: UnsafePointer<Float>, targets: UnsafePointer<Float>, rows: Int, dimension: Int,
                nll: UnsafeMutablePointer<Float>, dLogits: UnsafeMutablePointer<Float>?,
                dParameters: UnsafeMutablePointer<Float>?, scale: Float) {
        self.logits = logits; self.targets = targets; self.rows = rows; self.dimension = dimension
        self.nll = nll; self.dLogits = dLogits; self.dParameters = dParameters; self.scale = scale
    }

    /// The sum of `value(r)` over the whole batch, for a head that fits something to it (the
    /// gaussian head's optimal sigma): the rows in order within each of the batch's parts, the
    /// parts in order, across processes under mpirun, so that a batch gets the same bits however
    /// it is split over processes. Call it from `beginBatch`, once per training batch (see
    /// `Likelihood.sumsOverBatch`).
    /// Rows of the whole batch (of every process's share).
    public var wholeBatchRows: Int { summer?.wholeBatchRows ?? rows }

    public func sumOverBatch(_ value: (Int) -> Double) -> Double {
        if let summer { return summer.sumOverBatch(rows: rows, value) }
        var total = 0.0
        for r in 0..<rows { total += value(r) }
        return total
    }
}

// Shape letters used across the layers: B = batch, D = input features (pixels x channels),
// H = hidden units, Z = latent dimensions. Every activation is row-major [B x features].

/// One named parameter tensor: what a layer owns and what a checkpoint stores.
public struct ParameterSpec: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var count: Int { shape.reduce(1, *) }
    public init(name: String, shape: [Int]) { self.name = name; self.shape = shape }
}

/// A differentiable step with a forward and a backward that read side by side.
/// Parameters live in the model's one flat buffer; `bind` tells the layer where its slice is.
public protocol Layer: AnyObject {
    var inputSize: Int { get }
    var outputSize: Int { get }
    /// The layer's parameters in the order they sit in its slice (names are relative).
    var parameterSpecs: [ParameterSpec] { get }
    func bind(values: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>)
    func initialize(rng: inout SplitMix64)
    /// y[B x outputSize] = f(x[B x inputSize]).
    func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int)
    /// Adds (+=) this batch's parameter gradients into the bound gradient slice and, when `dx`
    /// is non-nil, overwrites it with dL/dx. `x` and `y` are the forward pass's input and output.
    func backward(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>?, batch: Int)
}

/// A layer whose parameter gradients are sums over the batch's rows: it sums them in the order
/// `parts` gives (see BatchParts), so that a batch split between processes adds up to the
/// gradient of the whole, bit for bit. Its plain `backward` sums in one part.
public protocol PartSummed: Layer {
    func backward(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>?, batch: Int, parts: BatchParts)
}

extension PartSummed {
    public func backward(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>?, batch: Int
    ) {
        backward(x, y, dy, dx, batch: batch, parts: .whole(batch))
    }
}

/// A layer whose product can apply max(., 0) on its way out (in the GEMM's epilogue), so that a
/// ReLU after it costs no pass of its own in forward: Sequential then calls this forward with
/// `relu: true` straight into the ReLU's output and skips the ReLU's forward. The layer's own
/// output buffer is left unwritten, so its backward must not read `y`.
protocol ReLUFusing: Layer {
    func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int, relu: Bool)
}

extension Layer {
    public var parameterSpecs: [ParameterSpec] { [] }
    public func bind(values: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {}
    public func initialize(rng: inout SplitMix64) {}
    public var parameterCount: Int { parameterSpecs.reduce(0) { $0 + $1.count } }
}

/// Layers run in order, with every activation and its gradient allocated once for the largest
/// batch. Backward walks the layers in reverse, as the chain rule reads.
public final class Sequential {
    public let layers: [Layer]
    public let capacity: Int
    private let outputs: [FloatBuffer]
    private let gradients: [FloatBuffer]
    private var lastInput: UnsafePointer<Float>?
    /// Where backward may stop when nobody needs dL/dx (counted once: parameterCount builds arrays).
    private let firstTrainable: Int
    /// fused[i]: layer i, when it applies the ReLU that follows it (see ReLUFusing).
    private let fused: [ReLUFusing?]
    /// summed[i]: layer i, when its gradients sum over the batch in parts (see PartSummed).
    private let summed: [PartSummed?]

    public init(_ layers: [Layer], capacity: Int) {
        precondition(!layers.isEmpty)
        for (a, b) in zip(layers, layers.dropFirst()) {
            precondition(a.outputSize == b.inputSize, "layer sizes do not chain: \(a.outputSize) -> \(b.inputSize)")
        }
        self.layers = layers
        self.capacity = capacity
        for case let layer as BatchReserving in layers { layer.reserve(capacity: capacity) }
        outputs = layers.map { FloatBuffer(count: capacity * $0.outputSize) }
        gradients = layers.map { FloatBuffer(count: capacity * $0.inputSize) }
        firstTrainable = layers.firstIndex { $0.parameterCount > 0 } ?? 0
        summed = layers.map { $0 as? PartSummed }
        fused = layers.indices.map { i in i + 1 < layers.count && layers[i + 1] is ReLU ? layers[i] as? ReLUFusing : nil }
    }

    public var inputSize: Int { layers[0].inputSize }
    public var outputSize: Int { layers[layers.count - 1].outputSize }
    public var output: UnsafeMutablePointer<Float> { outputs[outputs.count - 1].pointer }
    /// dL/d(input) after `backward(... computeInputGradient: true)`.
    public var inputGradient: UnsafeMutablePointer<Float> { gradients[0].pointer }

    /// Runs the layers; the result is in `output`. `x` must stay valid until `backward`.
    @discardableResult
    public func forward(_ x: UnsafePointer<Float>, batch: Int) -> UnsafeMutablePointer<Float> {
        precondition(batch <= capacity)
        lastInput = x
        var input = x
        var i = 0
        while i < layers.count {
            if let layer = fused[i] {
                // The product and the ReLU in one pass, into the ReLU's output (what its backward reads).
                layer.forward(input, outputs[i + 1].pointer, batch: batch, relu: true)
                i += 1
            } else {
                layers[i].forward(input, outputs[i].pointer, batch: batch)
            }
            input = UnsafePointer(outputs[i].pointer)
            i += 1
        }
        return output
    }

    /// `dy` is dL/d(output). Unless asked for dL/dx, backward stops at the first layer with
    /// parameters and skips that layer's input gradient: for the encoder nobody needs dL/dx, and
    /// it would cost a third of that layer's GEMM work (and nothing before it, e.g. padding, needs running).
    /// `parts`: the order in which the layers sum their gradients over the batch (default: one part).
    public func backward(_ dy: UnsafePointer<Float>, batch: Int, computeInputGradient: Bool, parts: BatchParts? = nil) {
        let parts = parts ?? .whole(batch)
        guard let x = lastInput else { preconditionFailure("backward before forward") }
        let firstTrainable = computeInputGradient ? 0 : self.firstTrainable
        var upstream = dy
        for i in stride(from: layers.count - 1, through: firstTrainable, by: -1) {
            let input = i == 0 ? x : UnsafePointer(outputs[i - 1].pointer)
            let dx: UnsafeMutablePointer<Float>? = (i > firstTrainable || computeInputGradient) ? gradients[i].pointer : nil
            if let layer = summed[i] {
                layer.backward(input, outputs[i].pointer, upstream, dx, batch: batch, parts: parts)
            } else {
                layers[i].backward(input, outputs[i].pointer, upstream, dx, batch: batch)
            }
            if let dx { upstream = UnsafePointer(dx) }
        }
    }
}

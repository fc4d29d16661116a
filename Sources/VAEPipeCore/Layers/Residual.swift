/// A layer that holds activations of its own and so must know the largest batch before the
/// first step: Sequential tells it once, when it is built.
public protocol BatchReserving: Layer {
    func reserve(capacity: Int)
}

/// y = x + f(x): a residual block around a branch of layers (VDVAE's `Block`, pythae's
/// `ResBlock`). The branch's last layer with weights has them scaled by `lastLayerScale` and its
/// bias zeroed at initialisation, so a stack of N blocks (scale 1/sqrt N) starts near the
/// identity and its variance does not grow with depth: what lets a deep stack train without
/// normalisation, and so without batch statistics (shares of a batch still add up bit for bit).
/// Backward is the branch's, plus dy passed straight through: dx = dy + f'(x)^T dy.
public final class Residual: Layer, PartSummed, BatchReserving, RangeKernel {
    public let branch: [Layer]
    public let lastLayerScale: Float
    private var net: Sequential?
    private var values: UnsafeMutablePointer<Float>?
    private var sum: (a: UnsafePointer<Float>, b: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>)?

    public init(_ branch: [Layer], lastLayerScale: Float = 1) {
        precondition(!branch.isEmpty && branch[0].inputSize == branch[branch.count - 1].outputSize,
                     "a residual branch maps a size to itself")
        self.branch = branch
        self.lastLayerScale = lastLayerScale
    }

    public var inputSize: Int { branch[0].inputSize }
    public var outputSize: Int { inputSize }

    public func reserve(capacity: Int) {
        if let net, net.capacity >= capacity { return }
        net = Sequential(branch, capacity: capacity)
    }

    /// The branch's parameters, each named by its layer's index in the branch ("3.weight").
    public var parameterSpecs: [ParameterSpec] {
        var specs: [ParameterSpec] = []
        for (i, layer) in branch.enumerated() where layer.parameterCount > 0 {
            specs += layer.parameterSpecs.map { ParameterSpec(name: "\(i).\($0.name)", shape: $0.shape) }
        }
        return specs
    }

    public func bind(values: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {
        self.values = values
        var offset = 0
        for layer in branch where layer.parameterCount > 0 {
            layer.bind(values: values + offset, gradients: gradients + offset)
            offset += layer.parameterCount
        }
    }

    public func initialize(rng: inout SplitMix64) {
        var offset = 0, last: (offset: Int, specs: [ParameterSpec])?
        for layer in branch {
            layer.initialize(rng: &rng)
            if layer.parameterCount > 0 { last = (offset, layer.parameterSpecs); offset += layer.parameterCount }
        }
        guard let last, let values else { return }
        Self.scaleAtInitialisation(values + last.offset, last.specs, by: lastLayerScale)
    }

    /// Scales a layer's weights and zeroes its bias (its first and second tensors, as in every
    /// layer here): VDVAE's start for the last layer of a branch that adds into a running state.
    static func scaleAtInitialisation(_ values: UnsafeMutablePointer<Float>, _ specs: [ParameterSpec], by scale: Float) {
        VectorMath.scale(values, count: specs[0].count, by: scale)
        if specs.count > 1 { (values + specs[0].count).update(repeating: 0, count: specs[1].count) }
    }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int) {
        guard let net else { preconditionFailure("Residual: forward before reserve(capacity:)") }
        let f = net.forward(x, batch: batch)
        add(x, UnsafePointer(f), into: y, count: batch * inputSize)
    }

    public func backward(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>?, batch: Int, parts: BatchParts
    ) {
        guard let net else { preconditionFailure("Residual: backward before reserve(capacity:)") }
        net.backward(dy, batch: batch, computeInputGradient: dx != nil, parts: parts)
        if let dx { add(dy, UnsafePointer(net.inputGradient), into: dx, count: batch * inputSize) }
    }

    private func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        sum = (a, b, out)
        Parallel.forRanges(count, self)
        sum = nil
    }

    public func run(_ r: Range<Int>) {
        let (a, b, out) = sum!
        var i = r.lowerBound
        while i + 8 <= r.upperBound { VectorMath.store(VectorMath.load(a + i) + VectorMath.load(b + i), out + i); i += 8 }
        while i < r.upperBound { out[i] = a[i] + b[i]; i += 1 }
    }
}

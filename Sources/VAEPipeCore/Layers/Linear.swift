/// y = x W + b, with W stored [in x out] so both products are plain row-major GEMMs.
public final class Linear: Layer, ReLUFusing, PartSummed {
    public let inputSize: Int
    public let outputSize: Int
    private var p: WeightsAndBias

    public init(_ inputSize: Int, _ outputSize: Int) {
        self.inputSize = inputSize
        self.outputSize = outputSize
        p = WeightsAndBias(weights: inputSize * outputSize, outputs: outputSize)
    }

    public var parameterSpecs: [ParameterSpec] {
        [ParameterSpec(name: "weight", shape: [inputSize, outputSize]),
         ParameterSpec(name: "bias", shape: [outputSize])]
    }

    public func bind(values: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {
        p.bind(values: values, gradients: gradients)
    }

    public func initialize(rng: inout SplitMix64) { p.initialize(fanIn: inputSize, rng: &rng) }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int) {
        forward(x, y, batch: batch, relu: false)
    }

    func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int, relu: Bool) {
        GEMM.multiply(m: batch, n: outputSize, k: inputSize, a: x, b: p.w, bias: p.b,
                      activation: relu ? .relu : .none, c: y)
    }

    public func backward(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>?, batch: Int, parts: BatchParts
    ) {
        let n = outputSize
        // dW += x^T dy ; db += column sums of dy ; dx = dy W^T
        GEMM.multiplyTransposed(m: inputSize, n: n, k: batch, a: x, b: dy, beta: 1, c: p.dw, parts: parts)
        p.accumulateBiasGradient(dy, rows: batch, parts: parts)
        if let dx {
            GEMM.multiply(transB: true, m: batch, n: inputSize, k: n, a: dy, b: p.w, c: dx)
        }
    }
}

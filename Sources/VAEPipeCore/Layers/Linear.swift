/// y = x W + b, with W stored [in x out] so both products are plain row-major GEMMs.
public final class Linear: Layer {
    public let inputSize: Int
    public let outputSize: Int
    private var w: UnsafeMutablePointer<Float>!
    private var b: UnsafeMutablePointer<Float>!
    private var dw: UnsafeMutablePointer<Float>!
    private var db: UnsafeMutablePointer<Float>!

    public init(_ inputSize: Int, _ outputSize: Int) {
        self.inputSize = inputSize
        self.outputSize = outputSize
    }

    public var parameterSpecs: [ParameterSpec] {
        [ParameterSpec(name: "weight", shape: [inputSize, outputSize]),
         ParameterSpec(name: "bias", shape: [outputSize])]
    }

    public func bind(values: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {
        w = values; b = values + inputSize * outputSize
        dw = gradients; db = gradients + inputSize * outputSize
    }

    /// PyTorch's default for nn.Linear (Kaiming-uniform with a = sqrt 5): W and b ~ U(-1/sqrt(in), 1/sqrt(in)).
    /// Matching it keeps our numbers comparable with the reference run.
    public func initialize(rng: inout SplitMix64) {
        let bound = 1 / Float(inputSize).squareRoot()
        for i in 0..<(inputSize * outputSize) { w[i] = (2 * rng.nextUniform() - 1) * bound }
        for i in 0..<outputSize { b[i] = (2 * rng.nextUniform() - 1) * bound }
    }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int) {
        let n = outputSize
        for r in 0..<batch { (y + r * n).update(from: b, count: n) }
        BLAS.gemm(m: batch, n: n, k: inputSize, a: x, b: w, beta: 1, c: y)
    }

    public func backward(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>?, batch: Int
    ) {
        let n = outputSize
        // dW += x^T dy ; db += column sums of dy ; dx = dy W^T
        BLAS.gemm(transA: true, m: inputSize, n: n, k: batch, a: x, b: dy, beta: 1, c: dw)
        for r in 0..<batch {
            let row = dy + r * n
            for j in 0..<n { db[j] += row[j] }
        }
        if let dx {
            BLAS.gemm(transB: true, m: batch, n: inputSize, k: n, a: dy, b: w, c: dx)
        }
    }
}

/// y = max(x, 0). Backward reads the output: y > 0 exactly where x > 0.
public final class ReLU: Layer {
    public let inputSize: Int
    public var outputSize: Int { inputSize }
    public init(_ size: Int) { inputSize = size }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int) {
        let n = batch * inputSize
        var i = 0
        while i + 8 <= n { VectorMath.store(VectorMath.max(VectorMath.load(x + i), .zero), y + i); i += 8 }
        for i in i..<n { y[i] = max(x[i], 0) }
    }

    public func backward(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>?, batch: Int
    ) {
        guard let dx else { return }
        let n = batch * inputSize
        var i = 0
        while i + 8 <= n {
            VectorMath.store(VectorMath.load(dy + i).replacing(with: 0, where: VectorMath.load(y + i) .<= 0), dx + i)
            i += 8
        }
        for i in i..<n { dx[i] = y[i] > 0 ? dy[i] : 0 }
    }
}

/// y = max(x, 0). Backward reads the output: y > 0 exactly where x > 0.
public final class ReLU: Layer {
    public let inputSize: Int
    public var outputSize: Int { inputSize }
    public init(_ size: Int) { inputSize = size }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int) {
        for i in 0..<(batch * inputSize) { y[i] = max(x[i], 0) }
    }

    public func backward(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>?, batch: Int
    ) {
        guard let dx else { return }
        for i in 0..<(batch * inputSize) { dx[i] = y[i] > 0 ? dy[i] : 0 }
    }
}

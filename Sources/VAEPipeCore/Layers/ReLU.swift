/// y = max(x, 0). Backward reads the output: y > 0 exactly where x > 0.
/// Split over the pool: a conv model's activations are millions of floats per batch.
public final class ReLU: Layer, RangeKernel {
    public let inputSize: Int
    public var outputSize: Int { inputSize }
    public init(_ size: Int) { inputSize = size }
    private var x: UnsafePointer<Float>?, y: UnsafePointer<Float>?, dy: UnsafePointer<Float>?
    private var out: UnsafeMutablePointer<Float>?

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int) {
        self.x = x; self.dy = nil; out = y
        Parallel.forRanges(batch * inputSize, self)
    }

    public func backward(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>?, batch: Int
    ) {
        guard let dx else { return }
        self.y = y; self.dy = dy; out = dx
        Parallel.forRanges(batch * inputSize, self)
    }

    public func run(_ r: Range<Int>) {
        let out = out!
        var i = r.lowerBound
        if let dy, let y {
            while i + 8 <= r.upperBound {
                VectorMath.store(VectorMath.load(dy + i).replacing(with: 0, where: VectorMath.load(y + i) .<= 0), out + i)
                i += 8
            }
            for i in i..<r.upperBound { out[i] = y[i] > 0 ? dy[i] : 0 }
        } else if let x {
            while i + 8 <= r.upperBound { VectorMath.store(VectorMath.max(VectorMath.load(x + i), .zero), out + i); i += 8 }
            for i in i..<r.upperBound { out[i] = max(x[i], 0) }
        }
    }
}

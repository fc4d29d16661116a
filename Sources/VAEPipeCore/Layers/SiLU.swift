/// y = x sigmoid(x) (SiLU, "swish"): smooth where ReLU has a kink, so deep residual stacks keep
/// a gradient for negative inputs. dy/dx = s (1 + x (1 - s)) with s = sigmoid(x), so backward
/// reads the input, not the output. Split over the pool like ReLU.
public final class SiLU: Layer, RangeKernel {
    public let inputSize: Int
    public var outputSize: Int { inputSize }
    public init(_ size: Int) { inputSize = size }
    private var x: UnsafePointer<Float>?, dy: UnsafePointer<Float>?
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
        self.x = x; self.dy = dy; out = dx
        Parallel.forRanges(batch * inputSize, self)
    }

    public func run(_ r: Range<Int>) {
        let x = x!, out = out!
        typealias V = VectorMath.V
        var i = r.lowerBound
        if let dy {
            while i + 8 <= r.upperBound {
                let v = VectorMath.load(x + i), s = VectorMath.sigmoid(v)
                VectorMath.store(VectorMath.load(dy + i) * s * (1 + v * (1 - s)), out + i)
                i += 8
            }
            for i in i..<r.upperBound {
                let s = VectorMath.sigmoid(V(repeating: x[i]))[0]
                out[i] = dy[i] * s * (1 + x[i] * (1 - s))
            }
        } else {
            while i + 8 <= r.upperBound {
                let v = VectorMath.load(x + i)
                VectorMath.store(v * VectorMath.sigmoid(v), out + i)
                i += 8
            }
            for i in i..<r.upperBound { out[i] = x[i] * VectorMath.sigmoid(V(repeating: x[i]))[0] }
        }
    }
}

import CKernels

/// y = x sigmoid(x) (SiLU, "swish"): smooth where ReLU has a kink, so deep residual stacks keep
/// a gradient for negative inputs. dy/dx = s (1 + x (1 - s)) with s = sigmoid(x), so backward
/// reads the input, not the output. Split over the pool like ReLU; the loops are C's
/// (Sources/CKernels/activations.c), compiled for the CPU's vector width.
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

    /// The C kernel on this range (the CPU's vector width; VectorMath's arithmetic).
    public func run(_ r: Range<Int>) {
        let x = x! + r.lowerBound, out = out! + r.lowerBound
        if let dy { vp_silu_backward(x, dy + r.lowerBound, out, r.count) } else { vp_silu_forward(x, out, r.count) }
    }
}

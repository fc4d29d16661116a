import CKernels
import Foundation

/// Adam (Kingma & Ba 2015) over one flat parameter buffer, with PyTorch's defaults and its
/// exact update order (bias-corrected step size, eps added after the square root).
public final class Adam {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, eps: Float
    public private(set) var step = 0
    public let m: FloatBuffer
    public let v: FloatBuffer

    public init(parameterCount: Int, learningRate: Float = 1e-3,
                beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps
        m = FloatBuffer(count: parameterCount)
        v = FloatBuffer(count: parameterCount)
    }

    /// Sets the step count of a restored optimizer (its moments are loaded into `m` and `v`).
    public func restore(step: Int) { self.step = step }

    /// One step for the parameters `range` (default all of them): a process of a data-parallel
    /// job may update only its own segment, and the processes then share the segments' new values.
    public func update(_ store: ParameterStore, range: Range<Int>? = nil) {
        precondition(store.count == m.count)
        let r = range ?? 0..<store.count
        step += 1
        let bc1 = 1 - Float(pow(Double(beta1), Double(step)))
        let bc2 = 1 - Float(pow(Double(beta2), Double(step)))
        // One pass per parameter (Sources/CKernels/adam.c, compiled for the CPU's ISA), split
        // over the pool; it clears each gradient as it reads it (the next step's zeroing, for free).
        let o = r.lowerBound
        vp_adam(store.values.pointer + o, store.gradients.pointer + o, m.pointer + o, v.pointer + o, r.count,
                beta1, beta2, eps, learningRate / bc1, 1 / bc2.squareRoot())
        store.gradientsAreZero = r.count == store.count
    }
}

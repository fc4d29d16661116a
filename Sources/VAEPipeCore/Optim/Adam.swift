import Foundation

/// Adam (Kingma & Ba 2015) over one flat parameter buffer, with PyTorch's defaults and its
/// exact update order (bias-corrected step size, eps added after the square root).
public final class Adam {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, eps: Float
    public private(set) var step = 0
    public let m: FloatBuffer
    public let v: FloatBuffer
    private let sweep: Sweep

    public init(parameterCount: Int, learningRate: Float = 1e-3,
                beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps
        m = FloatBuffer(count: parameterCount)
        v = FloatBuffer(count: parameterCount)
        sweep = Sweep(m: m.pointer, v: v.pointer, beta1: beta1, beta2: beta2, eps: eps)
    }

    /// Sets the step count of a restored optimizer (its moments are loaded into `m` and `v`).
    public func restore(step: Int) { self.step = step }

    public func update(_ store: ParameterStore) {
        precondition(store.count == m.count)
        step += 1
        let bc1 = 1 - Float(pow(Double(beta1), Double(step)))
        let bc2 = 1 - Float(pow(Double(beta2), Double(step)))
        sweep.p = store.values.pointer; sweep.g = store.gradients.pointer
        sweep.stepSize = learningRate / bc1
        sweep.invSqrtBc2 = 1 / bc2.squareRoot()
        // Four streams of 4 bytes per parameter: memory-bound, so both cores share the sweep,
        // and it clears each gradient as it reads it (the next step's zeroing, for free).
        Parallel.forRanges(store.count, sweep)
        store.gradientsAreZero = true
    }
}

/// One Adam step over a range of the flat buffers (p, g set per call; m, v owned by Adam).
private final class Sweep: RangeKernel {
    var p: UnsafeMutablePointer<Float>?, g: UnsafeMutablePointer<Float>?
    let m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>
    let b1: Float, b2: Float, e: Float
    var stepSize: Float = 0, invSqrtBc2: Float = 0

    init(m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, beta1: Float, beta2: Float, eps: Float) {
        self.m = m; self.v = v; b1 = beta1; b2 = beta2; e = eps
    }

    func run(_ range: Range<Int>) {
        let p = p!, g = g!, m = m, v = v, b1 = b1, b2 = b2, e = e, stepSize = stepSize, invSqrtBc2 = invSqrtBc2
        typealias V = SIMD8<Float>
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            let gi = UnsafeRawPointer(g + i).loadUnaligned(as: V.self)
            let mi = b1 * UnsafeRawPointer(m + i).loadUnaligned(as: V.self) + (1 - b1) * gi
            let vi = b2 * UnsafeRawPointer(v + i).loadUnaligned(as: V.self) + (1 - b2) * gi * gi
            let pi = UnsafeRawPointer(p + i).loadUnaligned(as: V.self) - stepSize * mi / (VectorMath.sqrt(vi) * invSqrtBc2 + e)
            UnsafeMutableRawPointer(m + i).storeBytes(of: mi, as: V.self)
            UnsafeMutableRawPointer(v + i).storeBytes(of: vi, as: V.self)
            UnsafeMutableRawPointer(p + i).storeBytes(of: pi, as: V.self)
            UnsafeMutableRawPointer(g + i).storeBytes(of: V(), as: V.self)
            i += 8
        }
        for i in i..<range.upperBound {
            let gi = g[i]
            g[i] = 0
            let mi = b1 * m[i] + (1 - b1) * gi
            let vi = b2 * v[i] + (1 - b2) * gi * gi
            m[i] = mi; v[i] = vi
            p[i] -= stepSize * mi / (vi.squareRoot() * invSqrtBc2 + e)
        }
    }
}

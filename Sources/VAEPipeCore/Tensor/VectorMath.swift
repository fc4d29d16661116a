#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// exp and log1p on eight floats at once. libm's scalar expf/log1pf cost more than the
/// matrix products around them in the heads' per-pixel loops; these are the Cephes
/// polynomials (about 1-2 ulp), written over SIMD lanes so the compiler keeps them in registers.
/// Everything is @inlinable: the heads live in another module, and a call per eight floats (or
/// the standard library's unspecialised generic pointwiseMin) costs more than the arithmetic.
public enum VectorMath {
    public typealias V = SIMD8<Float>

    /// Square root with packed instructions: SIMD8<Float>.squareRoot() compiles to eight
    /// scalar sqrtf calls on Linux.
    @inlinable @inline(__always)
    public static func sqrt(_ x: V) -> V {
        #if arch(x86_64)
        return V(lowHalf: _mm_sqrt_ps(x.lowHalf), highHalf: _mm_sqrt_ps(x.highHalf))
        #else
        return x.squareRoot()
        #endif
    }

    /// e^x, for x clamped to [-87.3, 88.37] (the normal Float range of the result).
    @inlinable @inline(__always)
    public static func exp(_ x: V) -> V {
        let x = min(max(x, V(repeating: -87.3)), V(repeating: 88.37))
        // x = n ln2 + r with |r| <= ln2/2; ln2 split in two so n*ln2 is exact in the first part.
        // Rounding by adding 1.5 * 2^23: the FPU rounds to an integer in the low mantissa bits,
        // which works on baseline x86-64 (no SSE4.1 `roundps`) without a libm call per lane.
        let magic = V(repeating: 12_582_912)
        let shifted = x * 1.442_695_04 + magic
        let n = shifted - magic
        var r = x - n * 0.693_359_375
        r = r - n * -2.121_944_4e-4
        var p = V(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        p = p * r * r + r + 1
        // 2^n assembled in the exponent bits.
        let ni = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
        let bits = (ni &+ 127) &<< 23
        return p * unsafeBitCast(bits, to: V.self)
    }

    /// log(1 + e) for e in [0, 1], via log(1+e) = 2 atanh(s), s = e / (2 + e) in [0, 1/3]:
    /// the odd series to s^15 is within 1e-8 there. (The Bernoulli head only needs e = exp(-|l|).)
    @inlinable @inline(__always)
    public static func log1pUnit(_ e: V) -> V {
        let s = e / (2 + e), s2 = s * s
        var p = V(repeating: 1.0 / 15)
        p = p * s2 + 1.0 / 13
        p = p * s2 + 1.0 / 11
        p = p * s2 + 1.0 / 9
        p = p * s2 + 1.0 / 7
        p = p * s2 + 1.0 / 5
        p = p * s2 + 1.0 / 3
        p = p * s2 + 1
        return 2 * s * p
    }

    /// Lane-wise max and min (pointwiseMax/Min are generic and, across modules, not specialised).
    @inlinable @inline(__always)
    public static func max(_ a: V, _ b: V) -> V { a.replacing(with: b, where: a .< b) }
    @inlinable @inline(__always)
    public static func min(_ a: V, _ b: V) -> V { a.replacing(with: b, where: b .< a) }

    /// 1 / (1 + e^-x).
    @inlinable @inline(__always)
    public static func sigmoid(_ x: V) -> V { 1 / (1 + exp(-x)) }

    /// out[i] = sigmoid(x[i]) for a whole buffer.
    public static func sigmoid(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count { store(sigmoid(load(x + i)), out + i); i += 8 }
        while i < count { out[i] = sigmoid(V(repeating: x[i]))[0]; i += 1 }
    }

    /// x[i] *= a for a whole buffer.
    public static func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by a: Float) {
        var i = 0
        while i + 8 <= count { store(load(x + i) * a, x + i); i += 8 }
        while i < count { x[i] *= a; i += 1 }
    }

    /// y[i] += x[i] for i < count.
    @inlinable
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count { store(load(y + i) + load(x + i), y + i); i += 8 }
        while i < count { y[i] += x[i]; i += 1 }
    }

    @inlinable @inline(__always)
    public static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }

    @inlinable @inline(__always)
    public static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }
}

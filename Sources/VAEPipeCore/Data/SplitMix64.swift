import Foundation

/// A small, fast, seedable generator (Steele et al. 2014). Everything random in vaepipe
/// (initialisation, shuffles, reparameterisation noise) draws from one of these, so a run is
/// reproducible from its `--seed`.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 24 random bits, the full precision of a Float.
    @inline(__always)
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Fills `out` with standard normals (Box-Muller, both outputs used).
    public mutating func fillNormal(_ out: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i < count {
            // 1 - u keeps the log argument in (0, 1]: log(0) would give an infinite sample.
            let u1 = 1.0 - Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
            let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
            let r = (-2.0 * log(u1)).squareRoot()
            let t = 2.0 * Double.pi * u2
            out[i] = Float(r * cos(t))
            if i + 1 < count { out[i + 1] = Float(r * sin(t)) }
            i += 2
        }
    }

    /// A generator for a derived stream (per epoch, per purpose) that does not disturb this one.
    public func derived(_ salt: UInt64) -> SplitMix64 {
        var g = SplitMix64(seed: state ^ (salt &* 0xD6E8_FEB8_6659_FD93))
        _ = g.next()
        return g
    }
}

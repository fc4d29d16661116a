@_exported import XCTest
import VAEPipeCore
import XCTest

/// Central finite differences in Float32. A step of 1e-3 (not 1e-5, which drowns in Float
/// rounding) with a relative tolerance, as tinygrad's gradcheck does.
public enum GradientCheck {
    public static let step: Float = 1e-3

    /// Compares `analytic[i]` with (f(x + h e_i) - f(x - h e_i)) / 2h for every i of `x`.
    public static func assertMatches(
        _ x: UnsafeMutablePointer<Float>, count: Int, analytic: [Float], label: String,
        rtol: Float = 2e-2, atol: Float = 2e-3, file: StaticString = #filePath, line: UInt = #line,
        _ f: () -> Double
    ) {
        XCTAssertEqual(analytic.count, count, file: file, line: line)
        var worst: Float = 0
        for i in 0..<count {
            let saved = x[i]
            x[i] = saved + step; let fp = f()
            x[i] = saved - step; let fm = f()
            x[i] = saved
            let numeric = Float((fp - fm) / Double(2 * step))
            let err = abs(numeric - analytic[i])
            worst = max(worst, err / (atol + rtol * abs(numeric)))
            if err > atol + rtol * abs(numeric) {
                XCTFail("\(label)[\(i)]: analytic \(analytic[i]) vs numeric \(numeric)", file: file, line: line)
                return
            }
        }
        XCTAssertLessThanOrEqual(worst, 1, file: file, line: line)
    }

    /// Fixed random values in [-scale, scale].
    public static func random(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in (2 * rng.nextUniform() - 1) * scale }
    }
}

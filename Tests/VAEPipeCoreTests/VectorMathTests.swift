import Foundation
import VAEPipeCore
import VAEPipeTestSupport
import XCTest

final class VectorMathTests: XCTestCase {
    func testExpMatchesLibmAcrossTheRange() {
        var worst: Double = 0
        var x: Float = -87
        while x < 88.3 {
            let v = VectorMath.exp(VectorMath.V(repeating: x))[0]
            let want = Foundation.exp(Double(x))
            worst = max(worst, abs(Double(v) - want) / want)
            x += 0.0137
        }
        XCTAssertLessThan(worst, 3e-7)
        XCTAssertEqual(VectorMath.exp(VectorMath.V(repeating: -200))[0], Float(Foundation.exp(-87.3)), accuracy: 1e-38)
        XCTAssertTrue(VectorMath.exp(VectorMath.V(repeating: 200))[0].isFinite)
    }

    func testLog1pUnitMatchesLibmOnZeroToOne() {
        var worst: Double = 0
        for i in 0...10_000 {
            let e = Float(i) / 10_000
            let v = VectorMath.log1pUnit(VectorMath.V(repeating: e))[0]
            worst = max(worst, abs(Double(v) - Foundation.log1p(Double(e))))
        }
        XCTAssertLessThan(worst, 2e-7)
    }

    /// The Bernoulli head's loop in CKernels gives the bits of the same arithmetic written with
    /// VectorMath in Swift, on every instruction set the CPU has, with a ragged tail.
    func testBernoulliKernelMatchesVectorMathBitForBit() {
        defer { Backend.setISA(Backend.cpuISA) }
        typealias V = VectorMath.V
        let rows = 5, d = 37
        var rng = SplitMix64(seed: 11)
        let logits = FloatBuffer((0..<(rows * d)).map { _ in (rng.nextUniform() - 0.5) * 40 })
        let targets = FloatBuffer((0..<(rows * d)).map { _ in rng.nextUniform() })
        let scale: Float = 0.3
        var nll = [Float](repeating: 0, count: rows), grad = [Float](repeating: 0, count: rows * d)
        for r in 0..<rows {
            let l = logits.pointer + r * d, x = targets.pointer + r * d
            var acc = V(), i = 0
            while i + 8 <= d {
                let li = VectorMath.load(l + i), xi = VectorMath.load(x + i)
                let e = VectorMath.exp(VectorMath.min(li, -li))
                acc += VectorMath.max(li, V()) + VectorMath.log1pUnit(e) - xi * li
                let g = scale * (V(repeating: 1).replacing(with: e, where: li .< 0) / (1 + e) - xi)
                for q in 0..<8 { grad[r * d + i + q] = g[q] }
                i += 8
            }
            var s = acc.sum()
            for i in i..<d {
                let e = exp(-abs(l[i]))
                s += max(l[i], 0) + log1p(e) - x[i] * l[i]
                grad[r * d + i] = scale * ((l[i] >= 0 ? 1 : e) / (1 + e) - x[i])
            }
            nll[r] = s
        }
        for isa in [Backend.ISA.generic, .avx2] where isa <= Backend.cpuISA {
            Backend.setISA(isa)
            let out = FloatBuffer(count: rows), g = FloatBuffer(count: rows * d)
            HeadKernels.bernoulli(rows: 0..<rows, HeadBatch(logits: logits.pointer, targets: targets.pointer, rows: rows, dimension: d,
                                                            nll: out.pointer, dLogits: g.pointer, dParameters: nil, scale: scale))
            XCTAssertEqual(out.array.map(\.bitPattern), nll.map(\.bitPattern), "\(isa): -log p")
            XCTAssertEqual(g.array.map(\.bitPattern), grad.map(\.bitPattern), "\(isa): gradient")
        }
    }

    /// The Gaussian head's loop (one sigma) in CKernels against the same arithmetic in Swift.
    func testGaussianKernelMatchesVectorMathBitForBit() {
        defer { Backend.setISA(Backend.cpuISA) }
        typealias V = VectorMath.V
        let rows = 4, d = 29, scale: Float = 0.25, invVar: Float = 3.5
        var rng = SplitMix64(seed: 12)
        let logits = FloatBuffer((0..<(rows * d)).map { _ in (rng.nextUniform() - 0.5) * 20 })
        let targets = FloatBuffer((0..<(rows * d)).map { _ in rng.nextUniform() })
        var squares = [Float](repeating: 0, count: rows), grad = [Float](repeating: 0, count: rows * d)
        for r in 0..<rows {
            let l = logits.pointer + r * d, x = targets.pointer + r * d
            var acc = V(), i = 0
            while i + 8 <= d {
                let m = VectorMath.sigmoid(VectorMath.load(l + i)), diff = VectorMath.load(x + i) - m
                acc += diff * diff
                let g = -scale * invVar * diff * m * (1 - m)
                for q in 0..<8 { grad[r * d + i + q] = g[q] }
                i += 8
            }
            var sq = acc.sum()
            for i in i..<d {
                let m = 1 / (1 + exp(-l[i])), diff = x[i] - m
                sq += diff * diff
                grad[r * d + i] = -scale * invVar * diff * m * (1 - m)
            }
            squares[r] = sq
        }
        for isa in [Backend.ISA.generic, .avx2] where isa <= Backend.cpuISA {
            Backend.setISA(isa)
            let out = FloatBuffer(count: rows), g = FloatBuffer(count: rows * d)
            HeadKernels.gaussian(rows: 0..<rows, HeadBatch(logits: logits.pointer, targets: targets.pointer, rows: rows, dimension: d,
                                                           nll: out.pointer, dLogits: g.pointer, dParameters: nil, scale: scale),
                                 inverseVariance: invVar, squares: out.pointer)
            XCTAssertEqual(out.array.map(\.bitPattern), squares.map(\.bitPattern), "\(isa): squares")
            XCTAssertEqual(g.array.map(\.bitPattern), grad.map(\.bitPattern), "\(isa): gradient")
        }
    }
}

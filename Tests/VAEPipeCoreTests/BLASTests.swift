import VAEPipeCore
import VAEPipeTestSupport
import XCTest

final class BLASTests: XCTestCase {
    func testGemmMatchesNaiveReferenceForEveryTransposition() {
        let m = 5, n = 7, k = 3
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = FloatBuffer(GradientCheck.random(m * k, seed: 1)), b = FloatBuffer(GradientCheck.random(k * n, seed: 2))
            let c1 = FloatBuffer(GradientCheck.random(m * n, seed: 3)), c2 = FloatBuffer(c1.array)
            BLAS.gemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 0.5, a: a.pointer, b: b.pointer, beta: 2, c: c1.pointer)
            ReferenceKernels.gemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 0.5, a: a.pointer, b: b.pointer, beta: 2, c: c2.pointer)
            for i in 0..<(m * n) { XCTAssertEqual(c1[i], c2[i], accuracy: 1e-5, "transA \(ta) transB \(tb) at \(i)") }
        }
    }
}

import VAEPipeCore
import VAEPipeTestSupport
import XCTest

final class PosteriorTests: XCTestCase {
    func testKLMatchesHandComputedValue() {
        // mu = (1, -2), lv = (0, log 4):  1/2 [(1 + 1 - 1 - 0) + (4 + 4 - 1 - log 4)] = 1/2 (8 - log 4)
        let m = FloatBuffer([1, -2, 0, Float(log(4.0))]), out = FloatBuffer(count: 1)
        KLDivergence.forward(moments: m.pointer, out: out.pointer, batch: 1, latent: 2)
        XCTAssertEqual(out[0], Float(0.5 * (8 - log(4.0))), accuracy: 1e-5)
    }

    func testKLIsZeroForThePrior() {
        let m = FloatBuffer(count: 2 * 2 * 5), out = FloatBuffer(count: 2)
        KLDivergence.forward(moments: m.pointer, out: out.pointer, batch: 2, latent: 5)
        XCTAssertEqual(out.array, [0, 0])
    }

    func testKLGradientMatchesFiniteDifferences() {
        let batch = 3, k = 4
        let m = FloatBuffer(GradientCheck.random(batch * 2 * k, seed: 11))
        let out = FloatBuffer(count: batch), grad = FloatBuffer(count: batch * 2 * k)
        func loss() -> Double {
            KLDivergence.forward(moments: m.pointer, out: out.pointer, batch: batch, latent: k)
            return out.array.reduce(0) { $0 + Double($1) }
        }
        KLDivergence.backward(moments: m.pointer, dMoments: grad.pointer, scale: 1, batch: batch, latent: k)
        GradientCheck.assertMatches(m.pointer, count: m.count, analytic: grad.array, label: "dKL", loss)
    }

    func testReparameterizationGradientMatchesFiniteDifferences() {
        let batch = 2, k = 3
        let m = FloatBuffer(GradientCheck.random(batch * 2 * k, seed: 12))
        let eps = FloatBuffer(GradientCheck.random(batch * k, seed: 13, scale: 2))
        let w = GradientCheck.random(batch * k, seed: 14)
        let z = FloatBuffer(count: batch * k), grad = FloatBuffer(count: batch * 2 * k)
        func loss() -> Double {
            Reparameterization.forward(moments: m.pointer, eps: eps.pointer, z: z.pointer, batch: batch, latent: k)
            return zip(w, z.array).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        _ = loss()
        w.withUnsafeBufferPointer {
            Reparameterization.backward(moments: m.pointer, eps: eps.pointer, dz: $0.baseAddress!,
                                        dMoments: grad.pointer, batch: batch, latent: k)
        }
        GradientCheck.assertMatches(m.pointer, count: m.count, analytic: grad.array, label: "dz/dmoments", loss)
    }

    func testNormalSamplesHaveUnitMoments() {
        var rng = SplitMix64(seed: 99)
        let n = 100_000
        let buf = FloatBuffer(count: n)
        rng.fillNormal(buf.pointer, count: n)
        let mean = buf.array.reduce(0.0) { $0 + Double($1) } / Double(n)
        let variance = buf.array.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(n)
        XCTAssertEqual(mean, 0, accuracy: 0.02)
        XCTAssertEqual(variance, 1, accuracy: 0.02)
    }
}

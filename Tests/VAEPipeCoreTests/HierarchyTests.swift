@testable import VAEPipeCore
import VAEPipeTestSupport
import XCTest

/// The hierarchical model's parts: the KL between two diagonal Gaussians against a hand
/// computation and finite differences, the learned start, and a top-down block (its state, its
/// encoder input, its parameters) against finite differences of out . w + s * KL.
final class HierarchyTests: XCTestCase {
    func testGaussianKLByHand() {
        // q = N(0.5, e^-1), p = N(-0.25, e^0.5): (0.5 - -1)/2 + (e^-1 + 0.75^2) / (2 e^0.5) - 1/2.
        let hand = 0.75 + (exp(-1.0) + 0.5625) / (2 * exp(0.5)) - 0.5
        XCTAssertEqual(Double(GaussianKL.value(qm: 0.5, qv: -1, pm: -0.25, pv: 0.5)), hand, accuracy: 1e-6)
        XCTAssertEqual(GaussianKL.value(qm: 0.3, qv: 0.2, pm: 0.3, pv: 0.2), 0, accuracy: 1e-7, "KL(q || q) = 0")
    }

    func testGaussianKLGradientMatchesFiniteDifferences() {
        let point: [Float] = [0.4, -0.7, -0.2, 0.3]
        let g = GaussianKL.gradient(qm: point[0], qv: point[1], pm: point[2], pv: point[3], scale: 2)
        let analytic = [g.qm, g.qv, g.pm, g.pv]
        for i in 0..<4 {
            var a = point.map(Double.init), b = a
            a[i] += 1e-3; b[i] -= 1e-3
            func kl(_ v: [Double]) -> Double { 0.5 * (v[3] - v[1]) + 0.5 * (exp(v[1]) + (v[0] - v[2]) * (v[0] - v[2])) * exp(-v[3]) - 0.5 }
            XCTAssertEqual(Double(analytic[i]), 2 * (kl(a) - kl(b)) / 2e-3, accuracy: 1e-4, "argument \(i)")
        }
    }

    /// L = sum(w . out) + s * sum KL for a block at 2x2 with 4 channels and 2 latent channels.
    func testTopDownBlockGradientsMatchFiniteDifferences() {
        let batch = 2, side = 2, width = 4
        let block = TopDownBlock(side: side, width: width, latentChannels: 2, blocks: 2, capacity: batch)
        let store = ParameterStore(specs: block.parameterSpecs)
        block.bind(values: store.values.pointer, gradients: store.gradients.pointer)
        var rng = SplitMix64(seed: 5)
        block.initialize(rng: &rng)
        // The prior's last layer starts at zero: give it values, so its inputs' gradients are checked too.
        for i in 0..<store.count where store.values[i] == 0 { store.values[i] = Float(i % 7) * 0.05 - 0.15 }
        let size = batch * side * side * width
        let h = FloatBuffer(GradientCheck.random(size, seed: 6)), a = FloatBuffer(GradientCheck.random(size, seed: 7))
        let noise = FloatBuffer(GradientCheck.random(batch * block.groupSize, seed: 8))
        let w = GradientCheck.random(size, seed: 9), s: Float = 0.7
        let kl = FloatBuffer(count: batch)
        func loss() -> Double {
            kl.zero()
            let out = block.forward(h.pointer, draw: .posterior(a.pointer), noise: noise.pointer, stride: block.groupSize,
                                    batch: batch, kl: kl.pointer)
            var sum = 0.0
            for i in 0..<size { sum += Double(w[i]) * Double(out[i]) }
            return sum + Double(s) * kl.array.reduce(0) { $0 + Double($1) }
        }
        _ = loss()
        XCTAssertEqual(block.klSum, kl.array.reduce(0) { $0 + Double($1) }, accuracy: 1e-5)
        store.gradients.zero()
        let da = FloatBuffer(count: size)
        let dh = w.withUnsafeBufferPointer { block.backward($0.baseAddress!, klScale: s, dEncoded: da.pointer, parts: .whole(batch)) }
        let dhCopy = Array(UnsafeBufferPointer(start: dh, count: size))
        GradientCheck.assertMatches(h.pointer, count: size, analytic: dhCopy, label: "dh", loss)
        GradientCheck.assertMatches(a.pointer, count: size, analytic: da.array, label: "da", loss)
        GradientCheck.assertMatches(store.values.pointer, count: store.count, analytic: store.gradients.array, label: "dθ", loss)
    }

    func testLearnedConstantCopiesToEveryRowAndSumsItsGradient() {
        let c = LearnedConstant(size: 3)
        let store = ParameterStore(specs: c.parameterSpecs)
        c.bind(values: store.values.pointer, gradients: store.gradients.pointer)
        store.values.pointer.update(from: [1, 2, 3], count: 3)
        let y = FloatBuffer(count: 6)
        c.forward(y.pointer, batch: 2)
        XCTAssertEqual(y.array, [1, 2, 3, 1, 2, 3])
        let dy = FloatBuffer([0.5, 1, 2, 0.25, -1, 4])
        c.backward(dy.pointer, batch: 2, parts: .whole(2))
        XCTAssertEqual(store.gradients.array, [0.75, 0, 6])
    }

    /// A reconstruction decodes every group at its posterior mean: the training forward's logits
    /// when its noise is all zeros.
    func testReconstructionIsThePosteriorForwardWithoutNoise() {
        // 40x40 padded to 64: the pad and the crop, groups at 4, 8 and 16, a plain block at 32.
        let config = ModelConfig(architecture: "hvae", shape: ImageShape(height: 40, width: 40, channels: 1), latent: 2, width: 4,
                                 blocks: 1, head: "bernoulli")
        XCTAssertNil(config.problem)
        let h = Hierarchy(config: config, capacity: 2)
        let store = ParameterStore(specs: h.parameterSpecs)
        h.bind(values: store.values.pointer, gradients: store.gradients.pointer)
        var rng = SplitMix64(seed: 3)
        h.initialize(rng: &rng)
        XCTAssertEqual(h.groups.map(\.side), [4, 8, 16])
        XCTAssertEqual(h.sides, [32, 16, 8, 4])
        XCTAssertEqual(Hierarchy.groupSides(config), [4, 8, 16])
        let x = FloatBuffer(GradientCheck.random(2 * 1600, seed: 4)), zeros = FloatBuffer(count: 2 * h.noisePerRow)
        let kl = FloatBuffer(count: 2)
        let a = Array(UnsafeBufferPointer(start: h.forward(x.pointer, noise: zeros.pointer, batch: 2, kl: kl.pointer), count: 2 * 1600))
        let b = Array(UnsafeBufferPointer(start: h.reconstruct(x.pointer, zeros: zeros.pointer, batch: 2), count: 2 * 1600))
        XCTAssertEqual(a, b)
        // With noise, the draws differ from the means.
        let noise = FloatBuffer(GradientCheck.random(2 * h.noisePerRow, seed: 5))
        let c = Array(UnsafeBufferPointer(start: h.forward(x.pointer, noise: noise.pointer, batch: 2, kl: kl.pointer), count: 2 * 1600))
        XCTAssertNotEqual(a, c)
    }
}

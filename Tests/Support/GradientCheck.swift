@_exported import XCTest
import VAEPipeCore
import XCTest

/// Central finite differences in Float32. A step of 1e-3 (not 1e-5, which drowns in Float
/// rounding) with a relative tolerance, as tinygrad's gradcheck does.
public enum GradientCheck {
    public static let step: Float = 1e-3

    /// Compares `analytic[i]` with (f(x + h e_i) - f(x - h e_i)) / 2h for every i of `x` (every
    /// `stride`-th, for a model too slow to perturb one value at a time).
    public static func assertMatches(
        _ x: UnsafeMutablePointer<Float>, count: Int, analytic: [Float], label: String,
        rtol: Float = 2e-2, atol: Float = 2e-3, stride every: Int = 1, file: StaticString = #filePath, line: UInt = #line,
        _ f: () -> Double
    ) {
        XCTAssertEqual(analytic.count, count, file: file, line: line)
        var worst: Float = 0
        for i in Swift.stride(from: 0, to: count, by: every) {
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

    /// Layers bound in order to one parameter store and initialised, in order, from `seed`.
    public static func bind(_ layers: [Layer], seed: UInt64) -> ParameterStore {
        let store = ParameterStore(specs: layers.flatMap(\.parameterSpecs))
        var offset = 0, rng = SplitMix64(seed: seed)
        for l in layers {
            l.bind(values: store.values.pointer + offset, gradients: store.gradients.pointer + offset)
            l.initialize(rng: &rng)
            offset += l.parameterCount
        }
        return store
    }

    /// A layer bound to its own parameter store and initialised from `seed`.
    public static func bind(_ layer: Layer, seed: UInt64 = 1) -> ParameterStore {
        let store = ParameterStore(specs: layer.parameterSpecs)
        layer.bind(values: store.values.pointer, gradients: store.gradients.pointer)
        var rng = SplitMix64(seed: seed)
        layer.initialize(rng: &rng)
        return store
    }

    /// A layer's backward against finite differences of L = sum(w * layer(x)) for fixed random
    /// w: dL/dx (which backward must overwrite: dx starts as garbage) and every parameter's
    /// gradient (which backward adds into zeroed gradients).
    public static func checkLayer(_ layer: Layer, batch: Int, seed: UInt64, xScale: Float = 1,
                                  file: StaticString = #filePath, line: UInt = #line) {
        let store = bind(layer, seed: seed)
        let x = FloatBuffer(random(batch * layer.inputSize, seed: seed + 1, scale: xScale))
        let w = random(batch * layer.outputSize, seed: seed + 2)
        let y = FloatBuffer(count: batch * layer.outputSize)
        let dx = FloatBuffer(random(batch * layer.inputSize, seed: seed + 3))
        func loss() -> Double {
            layer.forward(x.pointer, y.pointer, batch: batch)
            return zip(w, y.array).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        _ = loss()
        store.gradients.zero()
        w.withUnsafeBufferPointer { layer.backward(x.pointer, y.pointer, $0.baseAddress!, dx.pointer, batch: batch) }
        assertMatches(x.pointer, count: x.count, analytic: dx.array, label: "dx", file: file, line: line, loss)
        if store.count > 0 {
            assertMatches(store.values.pointer, count: store.count, analytic: store.gradients.array,
                          label: "dθ", file: file, line: line, loss)
        }
    }

    /// A head driven by `scorer` (parameters in `store`): d(scale * sum NLL)/dlogits and d/dθ
    /// against finite differences, on 3 rows of 5 outputs with logits in [-3, 3] and `targets`
    /// (15 of them; by default uniform in [0, 1]). `asTraining`: the loss is scored as a training
    /// step scores it, with gradients asked for (a head whose density depends on that, like the
    /// gaussian's optimal sigma, is checked as the function training differentiates).
    public static func checkHead(_ scorer: HeadScorer, _ store: ParameterStore, targets given: [Float]? = nil,
                                 asTraining: Bool = false, file: StaticString = #filePath, line: UInt = #line) {
        let batch = 3, d = 5
        let logits = FloatBuffer(random(batch * d, seed: 21, scale: 3))
        var rng = SplitMix64(seed: 22)
        let targets = FloatBuffer(given ?? (0..<(batch * d)).map { _ in rng.nextUniform() })
        let nll = FloatBuffer(count: batch), grad = FloatBuffer(count: batch * d), scratch = FloatBuffer(count: batch * d)
        let scale: Float = 0.5
        func loss() -> Double {
            scorer.negativeLogLikelihood(logits: logits.pointer, targets: targets.pointer, batch: batch, dimension: d,
                                         nll: nll.pointer, dLogits: asTraining ? scratch.pointer : nil, scale: scale)
            return Double(scale) * nll.array.reduce(0) { $0 + Double($1) }
        }
        store.gradients.zero()
        scorer.negativeLogLikelihood(logits: logits.pointer, targets: targets.pointer, batch: batch, dimension: d,
                                     nll: nll.pointer, dLogits: grad.pointer, scale: scale)
        let withGradient = nll.array, dTheta = store.gradients.array
        XCTAssertEqual(withGradient.map(Double.init).reduce(0, +) * Double(scale), loss(), accuracy: 1e-4, file: file, line: line)
        assertMatches(logits.pointer, count: logits.count, analytic: grad.array, label: "dlogits", file: file, line: line, loss)
        if store.count > 0 {
            assertMatches(store.values.pointer, count: store.count, analytic: dTheta, label: "dθ", file: file, line: line, loss)
        }
    }
}

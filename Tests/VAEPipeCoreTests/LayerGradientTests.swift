import VAEPipeCore
import VAEPipeTestSupport
import XCTest

/// Every layer's backward against finite differences of L = sum(w * layer(x)) for fixed random w.
final class LayerGradientTests: XCTestCase {
    func check(_ layer: Layer, batch: Int, seed: UInt64, xScale: Float = 1,
               file: StaticString = #filePath, line: UInt = #line) {
        GradientCheck.checkLayer(layer, batch: batch, seed: seed, xScale: xScale, file: file, line: line)
    }

    func testLinearGradientsMatchFiniteDifferences() {
        check(Linear(7, 5), batch: 4, seed: 10)
    }

    func testLinearAccumulatesParameterGradients() {
        let layer = Linear(3, 2)
        let store = ParameterStore(specs: layer.parameterSpecs)
        layer.bind(values: store.values.pointer, gradients: store.gradients.pointer)
        var rng = SplitMix64(seed: 1)
        layer.initialize(rng: &rng)
        let x = FloatBuffer([1, 2, 3]), y = FloatBuffer(count: 2), dy = FloatBuffer([1, -1])
        layer.forward(x.pointer, y.pointer, batch: 1)
        layer.backward(x.pointer, y.pointer, dy.pointer, nil, batch: 1)
        let once = store.gradients.array
        layer.backward(x.pointer, y.pointer, dy.pointer, nil, batch: 1)
        XCTAssertEqual(store.gradients.array, once.map { 2 * $0 })
        // dW = x^T dy: row i of W (input i) gets x_i * dy.
        XCTAssertEqual(Array(once[0..<6]), [1, -1, 2, -2, 3, -3])
        XCTAssertEqual(Array(once[6..<8]), [1, -1])
    }

    func testReLUGradientsMatchFiniteDifferences() {
        // Inputs kept away from the kink at 0, where the derivative does not exist.
        let layer = ReLU(9)
        let batch = 3
        var values = GradientCheck.random(batch * 9, seed: 3)
        values = values.map { $0 >= 0 ? $0 + 0.1 : $0 - 0.1 }
        let x = FloatBuffer(values), y = FloatBuffer(count: 27), dx = FloatBuffer(count: 27)
        let w = GradientCheck.random(27, seed: 4)
        func loss() -> Double {
            layer.forward(x.pointer, y.pointer, batch: batch)
            return zip(w, y.array).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        _ = loss()
        w.withUnsafeBufferPointer { layer.backward(x.pointer, y.pointer, $0.baseAddress!, dx.pointer, batch: batch) }
        GradientCheck.assertMatches(x.pointer, count: 27, analytic: dx.array, label: "dx", loss)
        XCTAssertEqual(y.array.filter { $0 < 0 }.count, 0)
    }

    func testSequentialBackwardChainsLayers() {
        let net = Sequential([Linear(6, 5), ReLU(5), Linear(5, 3)], capacity: 4)
        var specs: [ParameterSpec] = []
        for l in net.layers { specs += l.parameterSpecs }
        let store = ParameterStore(specs: specs)
        var offset = 0
        var rng = SplitMix64(seed: 5)
        for l in net.layers {
            l.bind(values: store.values.pointer + offset, gradients: store.gradients.pointer + offset)
            l.initialize(rng: &rng)
            offset += l.parameterCount
        }
        let x = FloatBuffer(GradientCheck.random(24, seed: 6))
        let w = GradientCheck.random(12, seed: 7)
        func loss() -> Double {
            let y = net.forward(x.pointer, batch: 4)
            return (0..<12).reduce(0) { $0 + Double(w[$1]) * Double(y[$1]) }
        }
        _ = loss()
        store.gradients.zero()
        w.withUnsafeBufferPointer { net.backward($0.baseAddress!, batch: 4, computeInputGradient: true) }
        let dx = Array(UnsafeBufferPointer(start: net.inputGradient, count: 24))
        GradientCheck.assertMatches(x.pointer, count: 24, analytic: dx, label: "dx", loss)
        GradientCheck.assertMatches(store.values.pointer, count: store.count, analytic: store.gradients.array,
                                    label: "dθ", loss)
    }

    /// Sequential runs Conv2D + ReLU and Linear + ReLU as one product with a ReLU epilogue: the
    /// same numbers as running every layer on its own.
    func testSequentialFusedReLUMatchesLayerByLayer() {
        let layers: [Layer] = [Conv2D(inChannels: 2, outChannels: 4, height: 8, width: 8), ReLU(4 * 4 * 4),
                               Linear(64, 10), ReLU(10), Linear(10, 3)]
        let net = Sequential(layers, capacity: 5)
        let store = GradientCheck.bind(layers, seed: 9)
        let x = FloatBuffer(GradientCheck.random(5 * 128, seed: 10))
        let fused = Array(UnsafeBufferPointer(start: net.forward(x.pointer, batch: 5), count: 15))
        var input = x
        for l in layers {
            let out = FloatBuffer(count: 5 * l.outputSize)
            l.forward(input.pointer, out.pointer, batch: 5)
            input = out
        }
        XCTAssertEqual(fused, input.array)
        XCTAssertGreaterThan(Set(fused).count, 10, "a forward that computed nothing")
        withExtendedLifetime(store) {}
    }

    /// The bias gradient of a conv layer (a column sum over every output pixel of the batch,
    /// split over the pool by columns) against a plain sum, the same on 1 and 3 threads.
    func testConvBiasGradientIsTheColumnSumOnAnyThreadCount() {
        defer { Parallel.setThreads(Parallel.cores) }
        let conv = Conv2D(inChannels: 1, outChannels: 21, height: 16, width: 16)
        let batch = 80, rows = batch * 64
        let x = FloatBuffer(GradientCheck.random(batch * conv.inputSize, seed: 11))
        let y = FloatBuffer(count: batch * conv.outputSize), dy = FloatBuffer(GradientCheck.random(rows * 21, seed: 12))
        var results: [[Float]] = []
        for threads in [1, 3] {
            Parallel.setThreads(threads)
            let store = ParameterStore(specs: conv.parameterSpecs)
            conv.bind(values: store.values.pointer, gradients: store.gradients.pointer)
            conv.forward(x.pointer, y.pointer, batch: batch)
            conv.backward(x.pointer, y.pointer, dy.pointer, nil, batch: batch)
            results.append(Array(store.gradients.array.suffix(21)))
        }
        XCTAssertEqual(results[0], results[1])
        for j in 0..<21 {
            let sum = (0..<rows).reduce(0.0) { $0 + Double(dy[$1 * 21 + j]) }
            XCTAssertEqual(Double(results[0][j]), sum, accuracy: 1e-3 * max(1, abs(sum)), "column \(j)")
        }
    }
}

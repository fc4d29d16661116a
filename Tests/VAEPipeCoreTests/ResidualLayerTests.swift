import VAEPipeCore
import VAEPipeTestSupport
import XCTest

/// The resnet model's layers: SiLU, nearest-neighbour upsampling, 1x1 and 3x3 stride-1
/// convolutions, and the residual container, each against finite differences and known values.
final class ResidualLayerTests: XCTestCase {
    func testSiLUGradientsMatchFiniteDifferences() {
        // 27 values: three SIMD groups and a scalar tail.
        GradientCheck.checkLayer(SiLU(9), batch: 3, seed: 31, xScale: 4)
    }

    func testSiLUValues() {
        let layer = SiLU(5), x = FloatBuffer([0, 1, -2, 10, -10]), y = FloatBuffer(count: 5)
        layer.forward(x.pointer, y.pointer, batch: 1)
        let expected: [Double] = [0, 0.731_058_58, -0.238_405_84, 9.999_546, -4.539_787e-4]
        for (a, b) in zip(y.array, expected) { XCTAssertEqual(Double(a), b, accuracy: 1e-5 * max(1, abs(b))) }
    }

    func testUpsample2DCopiesEachPixelIntoATwoByTwoBlock() {
        let layer = Upsample2D(channels: 2, height: 2, width: 2)
        // Pixel (y, x) holds channels (10 (2y + x), -(2y + x)).
        let x = FloatBuffer([0, 0, 10, -1, 20, -2, 30, -3]), y = FloatBuffer(count: 32)
        layer.forward(x.pointer, y.pointer, batch: 1)
        for oy in 0..<4 {
            for ox in 0..<4 {
                let p = 2 * (oy / 2) + ox / 2, o = (oy * 4 + ox) * 2
                XCTAssertEqual(y[o], Float(10 * p), "(\(oy), \(ox))")
                XCTAssertEqual(y[o + 1], Float(-p), "(\(oy), \(ox))")
            }
        }
    }

    func testUpsample2DGradientsMatchFiniteDifferences() {
        GradientCheck.checkLayer(Upsample2D(channels: 3, height: 3, width: 2), batch: 2, seed: 41)
    }

    /// The resnet's stride-1 convolutions: 3x3 (padding 1, lowered) and 1x1 (read in place, no lowering).
    func testStrideOneConvolutionGradientsMatchFiniteDifferences() {
        GradientCheck.checkLayer(Conv2D(inChannels: 3, outChannels: 4, height: 5, width: 5, kernel: 3, stride: 1, padding: 1),
                                 batch: 2, seed: 51)
        GradientCheck.checkLayer(Conv2D(inChannels: 5, outChannels: 3, height: 3, width: 4, kernel: 1, stride: 1, padding: 0),
                                 batch: 3, seed: 52)
        // In slices of two examples: the weight gradient summed slice by slice.
        GradientCheck.checkLayer(Conv2D(inChannels: 5, outChannels: 3, height: 3, width: 4, kernel: 1, stride: 1, padding: 0,
                                        examplesPerSlice: 2), batch: 3, seed: 53)
    }

    /// A 1x1 convolution is a per-pixel dense layer: y[p] = x[p] W + b.
    func testOneByOneConvolutionIsADenseLayerPerPixel() {
        let conv = Conv2D(inChannels: 3, outChannels: 2, height: 2, width: 3, kernel: 1, stride: 1, padding: 0)
        let store = GradientCheck.bind(conv, seed: 3)
        let x = FloatBuffer(GradientCheck.random(2 * 18, seed: 4)), y = FloatBuffer(count: 2 * 12)
        conv.forward(x.pointer, y.pointer, batch: 2)
        let w = store.values.array
        for p in 0..<12 {
            for o in 0..<2 {
                var sum = w[6 + o]
                for i in 0..<3 { sum += x[p * 3 + i] * w[i * 2 + o] }
                XCTAssertEqual(y[p * 2 + o], sum, accuracy: 1e-5)
            }
        }
    }

    func makeBlock(scale: Float) -> Residual {
        Residual([SiLU(4 * 4 * 3), Conv2D(inChannels: 3, outChannels: 2, height: 4, width: 4, kernel: 1, stride: 1, padding: 0),
                  SiLU(4 * 4 * 2), Conv2D(inChannels: 2, outChannels: 2, height: 4, width: 4, kernel: 3, stride: 1, padding: 1),
                  SiLU(4 * 4 * 2), Conv2D(inChannels: 2, outChannels: 3, height: 4, width: 4, kernel: 1, stride: 1, padding: 0)],
                 lastLayerScale: scale)
    }

    func testResidualGradientsMatchFiniteDifferences() {
        let block = makeBlock(scale: 0.7)
        block.reserve(capacity: 2)
        GradientCheck.checkLayer(block, batch: 2, seed: 61)
    }

    /// Scaled to zero at initialisation, the block is the identity exactly: the last layer's
    /// weights are scaled and its bias zeroed.
    func testResidualBlockStartsAsTheIdentityWhenItsLastLayerIsScaledToZero() {
        let block = makeBlock(scale: 0)
        block.reserve(capacity: 2)
        // The layers point into their stores: each store must outlive the layer's use.
        let store = GradientCheck.bind(block, seed: 7)
        let x = FloatBuffer(GradientCheck.random(2 * 48, seed: 8)), y = FloatBuffer(count: 2 * 48)
        withExtendedLifetime(store) { block.forward(x.pointer, y.pointer, batch: 2) }
        XCTAssertEqual(y.array, x.array)
        let live = makeBlock(scale: 1)
        live.reserve(capacity: 2)
        let liveStore = GradientCheck.bind(live, seed: 7)
        withExtendedLifetime(liveStore) { live.forward(x.pointer, y.pointer, batch: 2) }
        XCTAssertNotEqual(y.array, x.array)
    }

    func testResidualNamesItsParametersByBranchPosition() {
        XCTAssertEqual(makeBlock(scale: 1).parameterSpecs.map(\.name),
                       ["1.weight", "1.bias", "3.weight", "3.bias", "5.weight", "5.bias"])
    }

    /// Inside a Sequential, which reserves its activations: the chain through the block and around it.
    func testResidualInsideASequentialChainsGradients() {
        let layers: [Layer] = [Linear(6, 48), makeBlock(scale: 0.5), SiLU(48), Linear(48, 2)]
        let net = Sequential(layers, capacity: 3)
        let store = GradientCheck.bind(layers, seed: 9)
        let x = FloatBuffer(GradientCheck.random(18, seed: 10)), w = GradientCheck.random(6, seed: 11)
        func loss() -> Double {
            let y = net.forward(x.pointer, batch: 3)
            return (0..<6).reduce(0) { $0 + Double(w[$1]) * Double(y[$1]) }
        }
        _ = loss()
        store.gradients.zero()
        w.withUnsafeBufferPointer { net.backward($0.baseAddress!, batch: 3, computeInputGradient: true) }
        GradientCheck.assertMatches(x.pointer, count: 18, analytic: Array(UnsafeBufferPointer(start: net.inputGradient, count: 18)),
                                    label: "dx", loss)
        GradientCheck.assertMatches(store.values.pointer, count: store.count, analytic: store.gradients.array, label: "dθ", loss)
    }
}

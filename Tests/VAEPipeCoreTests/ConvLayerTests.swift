import VAEPipeCore
import VAEPipeTestSupport
import XCTest

/// The conv layers against finite differences, against direct (un-lowered) loops written here as
/// the oracle, and against each other (a transposed convolution is a convolution's adjoint).
final class ConvLayerTests: XCTestCase {
    func assertClose(_ a: [Float], _ b: [Float], accuracy: Float = 1e-4, _ label: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, label, file: file, line: line)
        for i in 0..<min(a.count, b.count) where abs(a[i] - b[i]) > accuracy * max(1, abs(b[i])) {
            XCTFail("\(label)[\(i)]: \(a[i]) vs \(b[i])", file: file, line: line)
            return
        }
    }

    // MARK: - Oracles: the convolutions as direct loops over NHWC, no lowering

    struct Shape { var cin: Int, cout: Int, h: Int, w: Int, k: Int, s: Int, p: Int }

    /// y[b, oy, ox, co] = bias[co] + sum over (ky, kx, ci) of x[b, oy*s-p+ky, ox*s-p+kx, ci] * W[ky, kx, ci, co].
    func directConvolution(_ x: [Float], weight: [Float], bias: [Float], batch: Int, _ q: Shape) -> [Float] {
        let oh = (q.h + 2 * q.p - q.k) / q.s + 1, ow = (q.w + 2 * q.p - q.k) / q.s + 1
        var y = [Float](repeating: 0, count: batch * oh * ow * q.cout)
        for b in 0..<batch { for oy in 0..<oh { for ox in 0..<ow { for co in 0..<q.cout {
            var sum = Double(bias[co])
            for ky in 0..<q.k { for kx in 0..<q.k {
                let iy = oy * q.s - q.p + ky, ix = ox * q.s - q.p + kx
                guard iy >= 0, iy < q.h, ix >= 0, ix < q.w else { continue }
                for ci in 0..<q.cin {
                    let xv = x[((b * q.h + iy) * q.w + ix) * q.cin + ci]
                    let wv = weight[((ky * q.k + kx) * q.cin + ci) * q.cout + co]
                    sum += Double(xv) * Double(wv)
                }
            } }
            y[((b * oh + oy) * ow + ox) * q.cout + co] = Float(sum)
        } } } }
        return y
    }

    /// Every input pixel x[b, iy, ix, ci] adds x * W[ci, ky, kx, co] onto y[b, iy*s-p+ky, ix*s-p+kx, co].
    func directTransposedConvolution(_ x: [Float], weight: [Float], bias: [Float], batch: Int, _ q: Shape) -> [Float] {
        let oh = (q.h - 1) * q.s - 2 * q.p + q.k, ow = (q.w - 1) * q.s - 2 * q.p + q.k
        var y = [Double](repeating: 0, count: batch * oh * ow * q.cout)
        for i in 0..<(batch * oh * ow) { for co in 0..<q.cout { y[i * q.cout + co] = Double(bias[co]) } }
        for b in 0..<batch { for iy in 0..<q.h { for ix in 0..<q.w { for ci in 0..<q.cin {
            let xv = Double(x[((b * q.h + iy) * q.w + ix) * q.cin + ci])
            for ky in 0..<q.k { for kx in 0..<q.k {
                let oy = iy * q.s - q.p + ky, ox = ix * q.s - q.p + kx
                guard oy >= 0, oy < oh, ox >= 0, ox < ow else { continue }
                for co in 0..<q.cout {
                    let wv = Double(weight[ci * q.k * q.k * q.cout + (ky * q.k + kx) * q.cout + co])
                    y[((b * oh + oy) * ow + ox) * q.cout + co] += xv * wv
                }
            } }
        } } } }
        return y.map { Float($0) }
    }

    static let shapes = [
        Shape(cin: 2, cout: 3, h: 6, w: 6, k: 4, s: 2, p: 1),   // the model's kind of layer
        Shape(cin: 3, cout: 2, h: 5, w: 7, k: 3, s: 1, p: 1),   // non-square, odd, stride 1
        Shape(cin: 1, cout: 4, h: 7, w: 6, k: 3, s: 2, p: 0),   // no padding, one input channel
        Shape(cin: 2, cout: 2, h: 4, w: 5, k: 4, s: 3, p: 2),   // stride 3, wide padding
    ]
    /// Padding wider than the kernel: the corner windows see only zeros (no transposed twin exists).
    /// And a 1x1 stride-1 convolution, which reads its input in place instead of lowering it.
    static let convOnlyShapes = [Shape(cin: 2, cout: 2, h: 3, w: 4, k: 2, s: 1, p: 2),
                                 Shape(cin: 3, cout: 5, h: 3, w: 2, k: 1, s: 1, p: 0)]

    // MARK: - Gradients

    func testConv2DGradientsMatchFiniteDifferences() {
        for (i, q) in (Self.shapes + Self.convOnlyShapes).enumerated() {
            GradientCheck.checkLayer(Conv2D(inChannels: q.cin, outChannels: q.cout, height: q.h, width: q.w,
                                  kernel: q.k, stride: q.s, padding: q.p), batch: 2, seed: 20 + UInt64(i) * 10)
        }
    }

    func testConvTranspose2DGradientsMatchFiniteDifferences() {
        for (i, q) in Self.shapes.enumerated() {
            GradientCheck.checkLayer(ConvTranspose2D(inChannels: q.cin, outChannels: q.cout, height: q.h, width: q.w,
                                           kernel: q.k, stride: q.s, padding: q.p), batch: 2, seed: 70 + UInt64(i) * 10)
        }
    }

    /// A batch lowered in slices (here 2 + 1 examples) gives the gradients of the whole batch.
    func testGradientsMatchFiniteDifferencesWhenTheBatchIsLoweredInSlices() {
        for (i, q) in Self.shapes.enumerated() {
            GradientCheck.checkLayer(Conv2D(inChannels: q.cin, outChannels: q.cout, height: q.h, width: q.w,
                                            kernel: q.k, stride: q.s, padding: q.p, examplesPerSlice: 2),
                                     batch: 3, seed: 400 + UInt64(i) * 10)
            GradientCheck.checkLayer(ConvTranspose2D(inChannels: q.cin, outChannels: q.cout, height: q.h, width: q.w,
                                                     kernel: q.k, stride: q.s, padding: q.p, examplesPerSlice: 2),
                                     batch: 3, seed: 450 + UInt64(i) * 10)
        }
    }

    func testZeroPad2DGradientsMatchFiniteDifferences() {
        GradientCheck.checkLayer(ZeroPad2D(channels: 2, height: 5, width: 4, pad: 2), batch: 2, seed: 120)
    }

    func testCrop2DGradientsMatchFiniteDifferences() {
        GradientCheck.checkLayer(Crop2D(channels: 3, height: 8, width: 6, crop: 1), batch: 2, seed: 130)
    }

    // MARK: - Known values

    /// The layer's forward on random inputs against `oracle(x, weight, bias)`.
    func assertForwardMatches(_ layer: Layer, seed: UInt64, _ label: String,
                              oracle: ([Float], [Float], [Float]) -> [Float]) {
        let store = GradientCheck.bind(layer, seed: seed)
        let batch = 3
        let x = FloatBuffer(GradientCheck.random(batch * layer.inputSize, seed: seed + 10))
        let y = FloatBuffer(count: batch * layer.outputSize)
        layer.forward(x.pointer, y.pointer, batch: batch)
        assertClose(y.array, oracle(x.array, Array(store.values(of: "weight")!), Array(store.values(of: "bias")!)), label)
    }

    func testConv2DMatchesDirectConvolution() {
        for (i, q) in (Self.shapes + Self.convOnlyShapes).enumerated() {
            // One example per slice: three slices of the batch of 3.
            let layer = Conv2D(inChannels: q.cin, outChannels: q.cout, height: q.h, width: q.w,
                               kernel: q.k, stride: q.s, padding: q.p, examplesPerSlice: i % 2 == 0 ? nil : 1)
            assertForwardMatches(layer, seed: 200 + UInt64(i), "conv shape \(i)") {
                self.directConvolution($0, weight: $1, bias: $2, batch: 3, q)
            }
        }
    }

    func testConvTranspose2DMatchesDirectScatter() {
        for (i, q) in Self.shapes.enumerated() {
            let layer = ConvTranspose2D(inChannels: q.cin, outChannels: q.cout, height: q.h, width: q.w,
                                        kernel: q.k, stride: q.s, padding: q.p, examplesPerSlice: i % 2 == 0 ? nil : 1)
            assertForwardMatches(layer, seed: 300 + UInt64(i), "transposed conv shape \(i)") {
                self.directTransposedConvolution($0, weight: $1, bias: $2, batch: 3, q)
            }
        }
    }

    func testPaddingThenCroppingGivesBackTheImage() {
        let pad = ZeroPad2D(channels: 2, height: 3, width: 4, pad: 2)
        let crop = Crop2D(channels: 2, height: 7, width: 8, crop: 2)
        let x = FloatBuffer(GradientCheck.random(2 * pad.inputSize, seed: 140))
        let padded = FloatBuffer(GradientCheck.random(2 * pad.outputSize, seed: 141))  // must be overwritten
        let back = FloatBuffer(count: 2 * crop.outputSize)
        pad.forward(x.pointer, padded.pointer, batch: 2)
        crop.forward(padded.pointer, back.pointer, batch: 2)
        XCTAssertEqual(back.array, x.array)
        // The border is zero: the sum of the padded image is the sum of the original.
        XCTAssertEqual(padded.array.reduce(0, +), x.array.reduce(0, +), accuracy: 1e-4)
        XCTAssertEqual(padded.array.filter { $0 == 0 }.count, 2 * 2 * (7 * 8 - 3 * 4))
    }

    // MARK: - The two layers are each other's adjoint

    /// <Conv(x), y> == <x, ConvT(y)> with biases zero and W_T[co, (ky, kx, ci)] = W_conv[(ky, kx, ci), co].
    func testConvTranspose2DIsTheAdjointOfConv2D() {
        let shapes = [
            Shape(cin: 3, cout: 5, h: 8, w: 6, k: 4, s: 2, p: 1),
            Shape(cin: 2, cout: 3, h: 5, w: 5, k: 3, s: 1, p: 1),
            Shape(cin: 2, cout: 4, h: 7, w: 7, k: 3, s: 2, p: 1),
        ]
        for (i, q) in shapes.enumerated() {
            let conv = Conv2D(inChannels: q.cin, outChannels: q.cout, height: q.h, width: q.w,
                              kernel: q.k, stride: q.s, padding: q.p)
            let convT = ConvTranspose2D(inChannels: q.cout, outChannels: q.cin,
                                        height: conv.outputHeight, width: conv.outputWidth,
                                        kernel: q.k, stride: q.s, padding: q.p)
            XCTAssertEqual(convT.outputSize, conv.inputSize, "shape \(i)")
            let cs = GradientCheck.bind(conv, seed: 400 + UInt64(i)), ts = GradientCheck.bind(convT, seed: 1)
            let wc = cs.values(of: "weight")!, wt = ts.values(of: "weight")!
            let k = q.k * q.k * q.cin
            for r in 0..<k { for co in 0..<q.cout { wt[co * k + r] = wc[r * q.cout + co] } }
            cs.values(of: "bias")!.update(repeating: 0)
            ts.values(of: "bias")!.update(repeating: 0)

            let batch = 2
            let x = FloatBuffer(GradientCheck.random(batch * conv.inputSize, seed: 410 + UInt64(i)))
            let y = FloatBuffer(GradientCheck.random(batch * conv.outputSize, seed: 420 + UInt64(i)))
            let convX = FloatBuffer(count: batch * conv.outputSize), convTY = FloatBuffer(count: batch * conv.inputSize)
            conv.forward(x.pointer, convX.pointer, batch: batch)
            convT.forward(y.pointer, convTY.pointer, batch: batch)
            let lhs = zip(convX.array, y.array).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let rhs = zip(x.array, convTY.array).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            XCTAssertEqual(lhs, rhs, accuracy: 1e-4 * max(1, abs(lhs)), "shape \(i)")
        }
    }

    // MARK: - Sizes

    func testReferenceConvModelSizesHalveAndDoubleBack() {
        let pad = ZeroPad2D(channels: 1, height: 28, width: 28, pad: 2)
        let encoder = [Conv2D(inChannels: 1, outChannels: 32, height: 32, width: 32),
                       Conv2D(inChannels: 32, outChannels: 64, height: 16, width: 16),
                       Conv2D(inChannels: 64, outChannels: 128, height: 8, width: 8)]
        let decoder = [ConvTranspose2D(inChannels: 128, outChannels: 64, height: 4, width: 4),
                       ConvTranspose2D(inChannels: 64, outChannels: 32, height: 8, width: 8),
                       ConvTranspose2D(inChannels: 32, outChannels: 1, height: 16, width: 16)]
        let crop = Crop2D(channels: 1, height: 32, width: 32, crop: 2)

        XCTAssertEqual(pad.outputSize, 32 * 32)
        XCTAssertEqual(encoder.map { [$0.outputHeight, $0.outputWidth] }, [[16, 16], [8, 8], [4, 4]])
        XCTAssertEqual(encoder.map(\.outputSize), [16 * 16 * 32, 8 * 8 * 64, 4 * 4 * 128])
        XCTAssertEqual(encoder[2].outputSize, 2048)
        XCTAssertEqual(decoder.map { [$0.outputHeight, $0.outputWidth] }, [[8, 8], [16, 16], [32, 32]])
        XCTAssertEqual(decoder.map(\.outputSize), [8 * 8 * 64, 16 * 16 * 32, 32 * 32])
        XCTAssertEqual(crop.outputSize, 28 * 28)
        // They chain, so Sequential accepts them.
        _ = Sequential([pad] + encoder, capacity: 1)
        _ = Sequential(decoder + [crop], capacity: 1)

        XCTAssertEqual(encoder[1].parameterSpecs, [ParameterSpec(name: "weight", shape: [4, 4, 32, 64]),
                                                   ParameterSpec(name: "bias", shape: [64])])
        XCTAssertEqual(decoder[0].parameterSpecs, [ParameterSpec(name: "weight", shape: [128, 4 * 4 * 64]),
                                                   ParameterSpec(name: "bias", shape: [64])])
    }

    func testInitialisationBoundsFollowPyTorchFanIn() {
        let conv = Conv2D(inChannels: 8, outChannels: 16, height: 8, width: 8)
        let convT = ConvTranspose2D(inChannels: 16, outChannels: 2, height: 4, width: 4)
        for (store, fanIn) in [(GradientCheck.bind(conv), 8 * 16), (GradientCheck.bind(convT), 2 * 16)] {
            let bound = 1 / Float(fanIn).squareRoot()
            let all = Array(store.values.buffer)
            XCTAssertLessThanOrEqual(all.map(abs).max()!, bound)
            // The draws fill the range, not a narrower one (as a wrong fan-in would).
            XCTAssertGreaterThan(all.map(abs).max()!, 0.9 * bound)
        }
    }

    // MARK: - Scratch reuse

    /// A layer used at batch 4 and then at batch 2 must agree with a fresh layer used at batch 2.
    func checkSmallerBatchAfterLarger(make: () -> Layer, label: String) {
        let used = make(), fresh = make()
        let usedStore = GradientCheck.bind(used, seed: 500), freshStore = GradientCheck.bind(fresh, seed: 500)
        let n = used.inputSize, m = used.outputSize
        let x = FloatBuffer(GradientCheck.random(4 * n, seed: 501))
        let y = FloatBuffer(count: 4 * m), dx = FloatBuffer(count: 4 * n)
        let dy = FloatBuffer(GradientCheck.random(4 * m, seed: 502))
        used.forward(x.pointer, y.pointer, batch: 4)
        used.backward(x.pointer, y.pointer, dy.pointer, dx.pointer, batch: 4)

        // Same pointer, new contents, smaller batch: nothing from the batch-4 pass may leak in.
        let small = GradientCheck.random(2 * n, seed: 503)
        for i in 0..<(2 * n) { x[i] = small[i] }
        let dySmall = FloatBuffer(GradientCheck.random(2 * m, seed: 504))
        usedStore.gradients.zero()
        used.forward(x.pointer, y.pointer, batch: 2)
        used.backward(x.pointer, y.pointer, dySmall.pointer, dx.pointer, batch: 2)

        let x2 = FloatBuffer(small), y2 = FloatBuffer(count: 2 * m), dx2 = FloatBuffer(count: 2 * n)
        fresh.forward(x2.pointer, y2.pointer, batch: 2)
        fresh.backward(x2.pointer, y2.pointer, dySmall.pointer, dx2.pointer, batch: 2)

        assertClose(Array(y.array[0..<(2 * m)]), y2.array, accuracy: 1e-5, "\(label) y")
        assertClose(Array(dx.array[0..<(2 * n)]), dx2.array, accuracy: 1e-5, "\(label) dx")
        assertClose(usedStore.gradients.array, freshStore.gradients.array, accuracy: 1e-5, "\(label) dθ")
    }

    func testSmallerBatchAfterLargerReusesScratchCorrectly() {
        checkSmallerBatchAfterLarger(make: { Conv2D(inChannels: 2, outChannels: 3, height: 8, width: 8) },
                                     label: "Conv2D")
        checkSmallerBatchAfterLarger(make: { ConvTranspose2D(inChannels: 3, outChannels: 2, height: 4, width: 4) },
                                     label: "ConvTranspose2D")
    }

    /// Backward caches forward's im2col; a backward for an input other than the last forward's
    /// must not use that cache.
    func testConv2DBackwardForAnEarlierInputDoesNotUseStaleWindows() {
        let layer = Conv2D(inChannels: 2, outChannels: 3, height: 6, width: 6)
        let store = GradientCheck.bind(layer, seed: 600)
        let a = FloatBuffer(GradientCheck.random(2 * layer.inputSize, seed: 601))
        let b = FloatBuffer(GradientCheck.random(2 * layer.inputSize, seed: 602))
        let y = FloatBuffer(count: 2 * layer.outputSize)
        let dy = FloatBuffer(GradientCheck.random(2 * layer.outputSize, seed: 603))
        layer.forward(a.pointer, y.pointer, batch: 2)
        store.gradients.zero()
        layer.backward(a.pointer, y.pointer, dy.pointer, nil, batch: 2)
        let expected = store.gradients.array

        layer.forward(a.pointer, y.pointer, batch: 2)
        layer.forward(b.pointer, y.pointer, batch: 2)
        store.gradients.zero()
        layer.backward(a.pointer, y.pointer, dy.pointer, nil, batch: 2)
        assertClose(store.gradients.array, expected, accuracy: 1e-6, "dθ")
    }
}

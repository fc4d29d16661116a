import VAEPipeCore
import VAEPipeTestSupport
import XCTest

/// The learning-rate schedule, the weight average, gradient clipping and flips, by hand.
final class TrainingAidsTests: XCTestCase {
    func testWarmupRisesLinearlyThenHolds() {
        var a = TrainingAids(); a.warmup = 4
        XCTAssertEqual((0..<6).map { a.learningRateFactor(step: $0, horizon: nil) }, [0.25, 0.5, 0.75, 1, 1, 1])
    }

    func testCosineFallsFromOneToZeroOverItsHorizon() {
        var a = TrainingAids(); a.schedule = .cosine
        let h = 10..<30
        XCTAssertEqual(a.learningRateFactor(step: 0, horizon: h), 1)       // before the horizon: holds
        XCTAssertEqual(a.learningRateFactor(step: 10, horizon: h), 1)
        XCTAssertEqual(a.learningRateFactor(step: 20, horizon: h), 0.5, accuracy: 1e-12)
        XCTAssertEqual(a.learningRateFactor(step: 15, horizon: h), 0.5 * (1 + cos(Double.pi / 4)), accuracy: 1e-12)
        XCTAssertEqual(a.learningRateFactor(step: 30, horizon: h), 0, accuracy: 1e-12)
        XCTAssertEqual(a.learningRateFactor(step: 99, horizon: h), 0, accuracy: 1e-12)
        XCTAssertEqual(a.learningRateFactor(step: 25, horizon: nil), 1, "no horizon yet: the rate holds")
        a.warmup = 20
        XCTAssertEqual(a.learningRateFactor(step: 9, horizon: h), 0.5, accuracy: 1e-12, "warm-up multiplies the schedule")
        XCTAssertEqual(a.learningRateFactor(step: 14, horizon: h), 0.75 * 0.5 * (1 + cos(Double.pi / 5)), accuracy: 1e-12)
        a.schedule = .constant
        XCTAssertEqual(a.learningRateFactor(step: 25, horizon: h), 1)
    }

    func testAverageDecayWarmsUpToItsSetting() {
        var a = TrainingAids(); a.ema = 0.999
        XCTAssertEqual(a.averageDecay(afterSteps: 1), 2 / 11)
        XCTAssertEqual(a.averageDecay(afterSteps: 90), 91 / 100)
        XCTAssertEqual(a.averageDecay(afterSteps: 100_000), 0.999)
    }

    func testWeightAverageUpdatesAndSwaps() {
        let store = ParameterStore(specs: [ParameterSpec(name: "w", shape: [19])])
        for i in 0..<19 { store.values[i] = Float(i) }
        let average = WeightAverage(copying: store)
        XCTAssertEqual(average.values.array, store.values.array)
        for i in 0..<19 { store.values[i] = Float(i) + 10 }
        average.update(from: store, decay: 0.75)
        for i in 0..<19 { XCTAssertEqual(average.values[i], 0.75 * Float(i) + 0.25 * (Float(i) + 10), accuracy: 1e-5) }
        let kept = average.values.array, trained = store.values.array
        average.swap(with: store)
        XCTAssertEqual(store.values.array, kept)
        XCTAssertEqual(average.values.array, trained)
        average.swap(with: store)
        XCTAssertEqual(store.values.array, trained)
    }

    func testClippingScalesAnOverlongGradientToTheLimitAndLeavesAShortOne() {
        let store = ParameterStore(specs: [ParameterSpec(name: "w", shape: [37])])
        for i in 0..<37 { store.gradients[i] = Float(i % 5) - 2 }
        let norm = (0..<37).reduce(0.0) { $0 + Double(store.gradients[$1] * store.gradients[$1]) }.squareRoot()
        let before = store.gradients.array
        let kept = GradientClipping.clip(store, maxNorm: Float(norm) + 1)
        XCTAssertFalse(kept.clipped)
        XCTAssertEqual(kept.norm, norm, accuracy: 1e-9)
        XCTAssertEqual(store.gradients.array, before)
        let cut = GradientClipping.clip(store, maxNorm: 2)
        XCTAssertTrue(cut.clipped)
        XCTAssertEqual(GradientClipping.l2Norm(store.gradients.pointer, count: 37), 2, accuracy: 1e-5)
        for i in 0..<37 { XCTAssertEqual(store.gradients[i], before[i] * Float(2 / norm), accuracy: 1e-6) }
    }

    func testFlipMirrorsEachRowKeepingChannelsTogether() {
        // 2 rows of 3 pixels, 2 channels: pixel (y, x) = (10y + x, -(10y + x)).
        var image: [Float] = []
        for y in 0..<2 { for x in 0..<3 { image += [Float(10 * y + x), -Float(10 * y + x)] } }
        image.withUnsafeMutableBufferPointer { VAE.flip($0.baseAddress!, ImageShape(height: 2, width: 3, channels: 2)) }
        XCTAssertEqual(image, [2, -2, 1, -1, 0, 0, 12, -12, 11, -11, 10, -10])
    }
}

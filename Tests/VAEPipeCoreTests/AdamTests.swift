import VAEPipeCore
import VAEPipeTestSupport
import XCTest

final class AdamTests: XCTestCase {
    func testFirstStepsMatchHandComputation() {
        let store = ParameterStore(specs: [ParameterSpec(name: "p", shape: [2])])
        store.values[0] = 1; store.values[1] = -2
        let adam = Adam(parameterCount: 2, learningRate: 0.1)
        store.gradients[0] = 0.5; store.gradients[1] = -4
        adam.update(store)
        // Step 1: m_hat = g, v_hat = g^2, so each parameter moves by lr * g / (|g| + eps) = lr * sign(g).
        XCTAssertEqual(store.values[0], 0.9, accuracy: 1e-6)
        XCTAssertEqual(store.values[1], -1.9, accuracy: 1e-6)
        // The step consumes the gradients: they are cleared for the next one.
        XCTAssertEqual(store.gradients.array, [0, 0])
        XCTAssertTrue(store.gradientsAreZero)
        store.gradients[0] = -0.5; store.gradients[1] = 0
        adam.update(store)
        // Step 2 for p0: m = 0.9*0.05 + 0.1*(-0.5) = -0.005, v = 0.999*0.00025 + 0.001*0.25 = 0.00049975
        let m = -0.005, v = 0.00049975
        let mhat = m / (1 - 0.81), vhat = v / (1 - 0.998001)
        XCTAssertEqual(Double(store.values[0]), 0.9 - 0.1 * mhat / (vhat.squareRoot() + 1e-8), accuracy: 1e-6)
    }

    func testMinimisesAQuadratic() {
        let store = ParameterStore(specs: [ParameterSpec(name: "p", shape: [3])])
        let target: [Float] = [3, -1, 0.5]
        let adam = Adam(parameterCount: 3, learningRate: 0.05)
        for _ in 0..<2000 {
            for i in 0..<3 { store.gradients[i] = 2 * (store.values[i] - target[i]) }
            adam.update(store)
        }
        for i in 0..<3 { XCTAssertEqual(store.values[i], target[i], accuracy: 1e-2) }
    }
}

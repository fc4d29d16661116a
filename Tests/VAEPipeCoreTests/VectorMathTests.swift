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
}

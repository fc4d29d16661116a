import XCTest
@testable import VAEPipeCore

final class LossChartTests: XCTestCase {
    func testYTicksAreRoundNumbersEnclosingTheData() {
        let (ticks, step, domain) = LossChart.niceTicks([97.3, 254.9])
        XCTAssertEqual(step, 50)
        XCTAssertEqual(ticks, [50, 100, 150, 200, 250, 300])
        XCTAssertEqual(domain, 50...300)
    }

    func testSmallValuesGetDecimalTicksAndLabels() {
        let (ticks, step, _) = LossChart.niceTicks([0.012, 0.031])
        XCTAssertEqual(step, 0.005, accuracy: 1e-12)
        XCTAssertEqual(ticks.map { AxisTicks.label($0, step: step) }, ["0.010", "0.015", "0.020", "0.025", "0.030", "0.035"])
    }

    func testFlatSeriesStillGetsAnAxisAroundIt() {
        let (ticks, _, domain) = LossChart.niceTicks([42, 42])
        XCTAssertTrue(domain.lowerBound < 42 && domain.upperBound > 42, "\(domain)")
        XCTAssertGreaterThan(ticks.count, 1)
        XCTAssertEqual(LossChart.niceTicks([0]).domain, -1...1)
    }

    func testEpochAxisHasWholeNumberTicks() {
        XCTAssertEqual(LossChart.xTicks([1]).ticks, [1])
        XCTAssertEqual(LossChart.xTicks([1, 2, 3]).ticks, [1, 2, 3])
        XCTAssertEqual(LossChart.xTicks((1...100).map(Double.init)).ticks, [20, 40, 60, 80, 100])
    }

    func testMultiplesOfAStepWithinARange() {
        XCTAssertEqual(AxisTicks.multiples(of: 0.5, in: -1.2...0.9), [-1, -0.5, 0, 0.5])
        XCTAssertEqual(AxisTicks.multiples(of: 2, in: 0.5...1.5), [])
    }

    func testNegativeZeroIsLabelledZero() {
        XCTAssertEqual(AxisTicks.label(-0.0001, step: 0.5), "0.0")
    }
}

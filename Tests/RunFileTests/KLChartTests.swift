import Foundation
import VAEPipeTestSupport
import XCTest
@testable import VAEPipeCore

/// The report's bar chart of KL per latent dimension.
final class KLChartTests: XCTestCase {
    func bars(_ page: PageElements) -> [PageElements.Element] {
        page.named("rect").filter { ($0.attributes["class"] ?? "").hasPrefix("bar") }
    }

    func testOneBarPerDimensionLargestFirstWithInactiveOnesMarked() throws {
        let kl = [0.5, 0.001, 2.25, 0, 0.01]
        let page = PageElements(KLChart(kl: kl).svg())
        XCTAssertNil(page.error)
        let drawn = bars(page)
        XCTAssertEqual(drawn.count, 5)
        XCTAssertEqual(drawn.map { $0.attributes["data-dimension"] }, ["2", "0", "4", "1", "3"])
        XCTAssertEqual(drawn.map { $0.attributes["class"] }, ["bar active", "bar active", "bar active", "bar inactive", "bar inactive"])
        XCTAssertEqual(drawn.map { $0.attributes["fill"] }, [KLChart.active, KLChart.active, KLChart.active, KLChart.inactive, KLChart.inactive])
        // Each inactive dimension stands on a gray column, so it shows though it has no height.
        XCTAssertEqual(page.named("rect").filter { $0.attributes["class"] == "column" }.count, 2)
        XCTAssertEqual(page.named("title").map(\.text)[3], "z1: 0.0010 nats (inactive)")
        // Heights in proportion to the KL (the two largest are 2.25 and 0.5).
        let heights = drawn.map { Double($0.attributes["height"]!)! }
        XCTAssertEqual(heights[1] / heights[0], 0.5 / 2.25, accuracy: 0.01)
        XCTAssertEqual(heights[3], 2, accuracy: 0.05)
        // Every dimension's index under its bar, in the bars' order.
        let labels = page.named("text").filter { $0.attributes["text-anchor"] == "middle" && $0.attributes["class"] == "tick" }.map(\.text)
        XCTAssertEqual(labels, ["2", "0", "4", "1", "3"])
        XCTAssertEqual(KLChart(kl: kl).activeCount, 3)
    }

    func testHundredsOfDimensionsShareTheWidthAndLabelEveryFew() {
        let chart = KLChart(kl: (0..<300).map { Double($0 % 7) })
        let page = PageElements(chart.svg())
        XCTAssertEqual(bars(page).count, 300)
        XCTAssertEqual(chart.width, ChartFrame.left + KLChart.plotWidth + ChartFrame.right, accuracy: 1e-9)
        let labels = page.named("text").filter { $0.attributes["text-anchor"] == "middle" && $0.attributes["class"] == "tick" }
        XCTAssertEqual(labels.count, 300 / 7 + 1, "every 7th of 2.67-pixel columns")
        XCTAssertEqual(KLChart(kl: [1, 2]).width, ChartFrame.left + 2 * KLChart.widest + ChartFrame.right, "a few dimensions get wide bars, not the page")
    }

    func testTheReportShowsTheChartAndHowManyDimensionsAreActive() throws {
        let report = RunReport(settings: [], epochs: [], galleries: [], klPerDimension: [3, 0.002, 1, 0])
        let page = PageElements(report.html())
        XCTAssertNil(page.error)
        XCTAssertEqual(page.named("section").map { $0.attributes["id"] }, ["latent"])
        XCTAssertEqual(bars(page).count, 4)
        XCTAssertTrue(page.named("figcaption").contains { $0.text.hasPrefix("2 of 4 dimensions over 0.01 nats") })
        XCTAssertFalse(RunReport(settings: [], epochs: [], galleries: []).html().contains("id=\"latent\""))
    }
}

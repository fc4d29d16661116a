import Foundation
import XCTest
import VAEPipeImageCodecs
import VAEPipeTestSupport
@testable import VAEPipeCore

final class RunReportTests: XCTestCase {
    func page(_ report: RunReport, file: StaticString = #filePath, line: UInt = #line) throws -> PageElements {
        let page = PageElements(report.html())
        if let error = page.error { XCTFail("not well-formed: \(error)", file: file, line: line) }
        return page
    }

    func points(_ polyline: PageElements.Element) -> Int {
        polyline.attributes["points", default: ""].split(separator: " ").count
    }

    func testHundredEpochsGiveThreeChartsOfTrainAndTestLinesWithAPointPerEpoch() throws {
        let epochs = (1...100).map { epochReport($0, loss: 300 / Double($0), test: 310 / Double($0)) }
        let page = try page(RunReport(settings: [], epochs: epochs, galleries: []))
        XCTAssertEqual(page.named("svg").count, 3)
        let lines = page.named("polyline")
        XCTAssertEqual(lines.map { $0.attributes["data-series"] }, ["train", "test", "train", "test", "train", "test"])
        XCTAssertEqual(lines.map(points), Array(repeating: 100, count: 6))
        let keys = page.named("span").filter { $0.attributes["class"] == "key" }.map(\.text)
        XCTAssertEqual(keys, ["train", "test", "train", "test", "train", "test"], "a legend beside each chart's title")
        XCTAssertEqual(page.named("circle").count, 0, "no dots once there are too many epochs to tell apart")
        XCTAssertEqual(page.named("tr").count - 1, 100, "a row per epoch below the header row")
    }

    func testOneEpochRunShowsADotPerSeriesAndItsEpochOnTheAxis() throws {
        let page = try page(RunReport(settings: [], epochs: [epochReport(1, loss: 120, test: 125)], galleries: []))
        XCTAssertEqual(page.named("polyline").map(points), Array(repeating: 1, count: 6))
        XCTAssertEqual(page.named("circle").count, 6)
        let ticks = page.named("text").filter { $0.attributes["text-anchor"] == "middle" && $0.attributes["class"] == "tick" }
        XCTAssertEqual(Set(ticks.map(\.text)), ["1"])
    }

    /// The test figures on one axis for every head, and the latent dimensions in use, as cards and columns.
    func testBitsPerDimensionAndActiveUnitsAreShown() throws {
        var e = epochReport(1, loss: 120, test: 125)
        e.testBitsPerDim = 0.4567; e.activeUnits = 13
        let page = try page(RunReport(settings: [], epochs: [e], galleries: []))
        let cards = page.named("div").filter { $0.attributes["class"] == "value" }.map(\.text)
        XCTAssertTrue(cards.contains("0.4567") && cards.contains("13"), "\(cards)")
        let cells = page.named("td").map(\.text)
        XCTAssertTrue(cells.contains("0.4567") && cells.contains("13"), "\(cells)")
    }

    func testRunWithoutATestSetDrawsOnlyTrainLines() throws {
        let page = try page(RunReport(settings: [], epochs: [epochReport(1, loss: 9), epochReport(2, loss: 8)], galleries: []))
        XCTAssertEqual(page.named("polyline").map { $0.attributes["data-series"] }, ["train", "train", "train"])
        XCTAssertFalse(page.named("div").contains { $0.text == "Test −ELBO" })
        XCTAssertEqual(page.named("span").filter { $0.attributes["class"] == "key" }.count, 0, "no legend for one line")
    }

    func testNonFiniteLossIsLeftOutOfTheCurve() throws {
        var epochs = (1...3).map { epochReport($0, loss: Double(10 - $0)) }
        epochs[2].trainLoss = .nan
        let page = try page(RunReport(settings: [], epochs: epochs, galleries: []))
        XCTAssertEqual(page.named("polyline").map(points), [2, 3, 3])
    }

    func testFinalMetricsComeFromTheLastEpoch() throws {
        let page = try page(RunReport(settings: [], epochs: [epochReport(1, loss: 200, test: 210), epochReport(2, loss: 150.25, test: 160.5)],
                                      galleries: []))
        XCTAssertTrue(page.named("div").contains { $0.attributes["class"] == "value" && $0.text == "150.25" })
        XCTAssertTrue(page.named("div").contains { $0.attributes["class"] == "value" && $0.text == "160.50" })
        XCTAssertTrue(page.named("div").contains { $0.attributes["class"] == "value" && $0.text == "120.20 / 128.40" })
    }

    func testGalleriesAreEmbeddedAsPNGDataURIsWithTheirSize() throws {
        let image = RasterImage(width: 6, height: 4, channels: 1, pixels: (0..<24).map { UInt8($0 * 10) })
        let png = try PNGCodec.encode(image)
        let page = try page(RunReport(settings: [], epochs: [], galleries: [
            .init(name: "Samples", caption: "decoded from z ~ N(0, I)", png: png),
        ]))
        let img = try XCTUnwrap(page.named("img").first)
        let src = try XCTUnwrap(img.attributes["src"])
        XCTAssertTrue(src.hasPrefix("data:image/png;base64,"))
        let decoded = try XCTUnwrap(Data(base64Encoded: String(src.dropFirst("data:image/png;base64,".count))))
        XCTAssertEqual(try PNGCodec.decode(Array(decoded)), image)
        XCTAssertEqual(img.attributes["width"], "6")
        XCTAssertEqual(img.attributes["height"], "4")
        XCTAssertEqual(page.named("strong").last?.text, "Samples")
        XCTAssertEqual(page.named("span").last?.text, "decoded from z ~ N(0, I)")
    }

    func testSettingsAreShownInOrderAndEscaped() throws {
        let settings = [("data", "/data/<cats & dogs>"), ("seed", "7"), ("title", "\"quoted\" 'text'")]
        let report = RunReport(title: "A & B", settings: settings, epochs: [], galleries: [])
        let page = try page(report)
        let cells = page.named("td").map(\.text)
        XCTAssertEqual(cells, ["data", "/data/<cats & dogs>", "seed", "7", "title", "\"quoted\" 'text'"])
        XCTAssertEqual(page.named("title").first?.text, "A & B")
        XCTAssertFalse(report.html().contains("<cats"))
    }

    func testPageNeedsNothingFromOutside() throws {
        let png = try PNGCodec.encode(RasterImage(width: 1, height: 1, channels: 1, pixels: [0]))
        let html = RunReport(settings: [("a", "b")], epochs: [epochReport(1, loss: 1, test: 2)],
                             galleries: [.init(name: "g", png: png)]).html()
        let page = PageElements(html)
        XCTAssertNil(page.error)
        XCTAssertTrue(page.named("script").isEmpty && page.named("link").isEmpty)
        let sources = page.elements.compactMap { $0.attributes["src"] ?? $0.attributes["href"] }
        XCTAssertEqual(sources.filter { !$0.hasPrefix("data:") }, [])
        XCTAssertFalse(html.contains("url("), "no CSS fetches")
    }

    func testWriteReplacesThePageAtomically() throws {
        let dir = Fixtures.temporaryDirectory()
        try RunReport(settings: [], epochs: [], galleries: []).write(to: dir + "/index.html")
        try RunReport(settings: [], epochs: [epochReport(1, loss: 1)], galleries: []).write(to: dir + "/index.html")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["index.html"])
        XCTAssertTrue(try String(contentsOfFile: dir + "/index.html", encoding: .utf8).contains("1 epoch ·"))
    }
}

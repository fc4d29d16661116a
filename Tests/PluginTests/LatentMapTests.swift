import Foundation
@testable import VAEPipeExporters
import VAEPipeBuiltinPlugins
import XCTest

/// The latent map: PCA on points whose components are known, and the scatter's geometry.
final class LatentMapTests: XCTestCase {
    func testPCAOfPointsOnALineIn5DProjectsOntoTheFirstAxis() {
        let u: [Double] = [1, 2, -1, 0.5, 3], norm = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let c: [Double] = [4, -1, 0, 2, 7]
        let ts: [Double] = [-2, -0.5, 0.25, 1, 3.5, 4]
        let points = ts.flatMap { t in (0..<5).map { Float(c[$0] + t * u[$0] / norm) } }
        let pca = PrincipalComponents(points: points, dimension: 5)
        let mean = ts.reduce(0, +) / Double(ts.count)
        let variance = ts.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(ts.count - 1)
        XCTAssertEqual(pca.variances[0], variance, accuracy: 1e-5)
        for v in pca.variances.dropFirst() { XCTAssertEqual(v, 0, accuracy: 1e-6) }
        XCTAssertEqual(pca.explained(1), 1, accuracy: 1e-6)
        // u's largest coordinate is positive, so the component is +u and a point's first
        // coordinate is how far along the line it lies from the middle.
        for j in 0..<5 { XCTAssertEqual(pca.components[0][j], u[j] / norm, accuracy: 1e-5) }
        let xy = pca.project(points, onto: 2)
        for (i, t) in ts.enumerated() {
            XCTAssertEqual(xy[2 * i], t - mean, accuracy: 1e-5)
            XCTAssertEqual(xy[2 * i + 1], 0, accuracy: 1e-5)
        }
    }

    /// Six points at ±3 e1, ±1 e2, ±2 e3 of a rotated basis: the variances along e1, e3, e2 are
    /// 2·9/5, 2·4/5, 2·1/5, in that order, and the components are those directions.
    func testPCAOrdersComponentsByVarianceAndFindsTheirDirections() {
        let s = 0.6, co = 0.8
        let e1: [Double] = [co, s, 0], e2: [Double] = [-s, co, 0], e3: [Double] = [0, 0, 1]
        var points: [Float] = []
        for (e, a) in [(e1, 3.0), (e2, 1.0), (e3, 2.0)] {
            for sign in [1.0, -1.0] { points += e.map { Float(sign * a * $0) } }
        }
        let pca = PrincipalComponents(points: points, dimension: 3)
        XCTAssertEqual(pca.variances[0], 18.0 / 5, accuracy: 1e-5)
        XCTAssertEqual(pca.variances[1], 8.0 / 5, accuracy: 1e-5)
        XCTAssertEqual(pca.variances[2], 2.0 / 5, accuracy: 1e-5)
        for (component, e) in zip(pca.components, [e1, e3, e2]) {
            let dot = zip(component, e).reduce(0) { $0 + $1.0 * $1.1 }
            XCTAssertEqual(abs(dot), 1, accuracy: 1e-6)
        }
        XCTAssertEqual(pca.explained(2), 26.0 / 28, accuracy: 1e-6)
    }

    func testJacobiFindsTheEigenvaluesOfAKnownMatrix() {
        let (values, vectors) = PrincipalComponents.eigen(symmetric: [2, 1, 0, 1, 2, 0, 0, 0, 5], 3)
        for (value, expected) in zip(values.sorted(), [1.0, 3, 5]) { XCTAssertEqual(value, expected, accuracy: 1e-12) }
        // The eigenvector of 3 is (1, 1, 0)/√2.
        let c = values.firstIndex { abs($0 - 3) < 1e-9 }!
        XCTAssertEqual(abs(vectors[0 * 3 + c]), 0.5.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(vectors[0 * 3 + c], vectors[1 * 3 + c], accuracy: 1e-12)
    }

    func pixel(_ g: GridImage, _ x: Double, _ y: Double) -> RGB {
        let o = (Int(y) * g.width + Int(x)) * 3
        return RGB(UInt32(g.pixels[o]) << 16 | UInt32(g.pixels[o + 1]) << 8 | UInt32(g.pixels[o + 2]))
    }

    /// x to the right, y upwards, each point in its class's colour, and a legend swatch per class.
    func testScatterPutsEachPointWhereItsCoordinatesSayInItsClassColour() {
        let plot = ScatterPlot(points: [0, 0, 1, 1, -1, 0.5], labels: [0, 1, 7], names: ["zero", "one"], title: ["A", "B"])
        let g = plot.draw()
        // The legend as wide as "zero": a 14-pixel swatch, a gap, 4 characters of the font twice its size.
        XCTAssertEqual(g.width, ScatterPlot.left + ScatterPlot.plot + 16 + 22 + (4 * 6 - 1) * 2 + 16)
        XCTAssertEqual(g.height, plot.top + ScatterPlot.plot + ScatterPlot.bottom)
        XCTAssertEqual(plot.top, 16 + 2 * ScatterPlot.line)
        XCTAssertEqual(g.channels, 3)
        let origin = plot.position(0, 0), up = plot.position(1, 1), left = plot.position(-1, 0.5)
        XCTAssertLessThan(up.y, origin.y); XCTAssertGreaterThan(up.x, origin.x); XCTAssertLessThan(left.x, origin.x)
        XCTAssertEqual(pixel(g, origin.x, origin.y), ScatterPlot.palette[0])
        XCTAssertEqual(pixel(g, up.x, up.y), ScatterPlot.palette[1])
        XCTAssertEqual(pixel(g, left.x, left.y), ScatterPlot.palette[7])
        // Equal scales: one unit across is as many pixels as one unit up.
        XCTAssertEqual(up.x - origin.x, origin.y - up.y, accuracy: 1e-9)
        // The longer extent (x, from -1 to 1) spans the square but for a margin; the shorter is centred.
        XCTAssertGreaterThan(left.x, Double(ScatterPlot.left)); XCTAssertLessThan(left.x - Double(ScatterPlot.left), 40)
        XCTAssertEqual((up.y + origin.y) / 2, Double(plot.top + ScatterPlot.plot / 2), accuracy: 1e-9)
        // The legend: one swatch per class present, in label order, named or numbered.
        XCTAssertEqual(plot.classes, [0, 1, 7])
        XCTAssertEqual([0, 1, 7].map(plot.name), ["zero", "one", "7"])
        let swatchX = Double(ScatterPlot.left + ScatterPlot.plot + 16 + 7)
        for (row, label) in [0, 1, 7].enumerated() {
            XCTAssertEqual(pixel(g, swatchX, Double(plot.top + row * ScatterPlot.line + 7)), ScatterPlot.color(label), "swatch \(row)")
        }
        // A white background and a thin frame.
        XCTAssertEqual(pixel(g, 2, Double(g.height - 2)), .white)
        XCTAssertEqual(pixel(g, Double(ScatterPlot.left - 1), Double(plot.top + 100)), ScatterPlot.muted)
        XCTAssertEqual(pixel(g, Double(ScatterPlot.left - 3), Double(plot.top + 101)), .white)
    }

    func testWithoutLabelsEveryPointHasOneColourAndThereIsNoLegend() {
        let points = (0..<50).flatMap { i in [Double(i % 7), Double(i % 5)] }
        let plot = ScatterPlot(points: points, labels: nil)
        let g = plot.draw()
        XCTAssertEqual(g.width, ScatterPlot.left + ScatterPlot.plot + 16)
        var colours = Set<[UInt8]>()
        for i in 0..<50 {
            let at = plot.position(points[2 * i], points[2 * i + 1])
            let p = pixel(g, at.x, at.y)
            colours.insert([p.r, p.g, p.b])
        }
        XCTAssertEqual(colours, [[0x1F, 0x77, 0xB4]])
    }

    func testLegendNamesAreTruncatedAndTooManyClassesAreCounted() {
        let plot = ScatterPlot(points: (0..<30).flatMap { [Double($0), 0] }, labels: Array(0..<30),
                               names: ["a name far too long for the legend"])
        XCTAssertEqual(plot.name(0), "a name far too")
        XCTAssertEqual(plot.name(29), "29")
        XCTAssertEqual(plot.classes.count, 30)
        XCTAssertEqual(plot.draw().width, ScatterPlot.left + ScatterPlot.plot + 16 + 22 + (14 * 6 - 1) * 2 + 16)
        // A title longer than the plot and legend widens the picture to hold it.
        let titled = ScatterPlot(points: [0, 0], labels: nil, title: [String(repeating: "W", count: 50)])
        XCTAssertEqual(titled.width, ScatterPlot.left + (50 * 6 - 1) * 2 + 16)
    }

    /// A 2-D latent is drawn as it is; a larger one through PCA, which the title says.
    func testTheTitleSaysWhenThePlaneIsAPCAProjection() {
        let means: [Float] = [0, 1, 2, 3, 4, 5]
        let two = LatentMap.plane(means, latent: 2)
        XCTAssertEqual(two.points, means.map(Double.init))
        XCTAssertEqual(two.title, ["LATENT MEANS: Z1 ACROSS, Z2 UP"])
        let three = LatentMap.plane(means + [1, 0, 0], latent: 3)
        XCTAssertEqual(three.points.count, 2 * 3)
        XCTAssertEqual(three.title[0], "PCA OF 3-D MEANS: PC1 ACROSS, PC2 UP")
        XCTAssertTrue(three.title[1].hasPrefix("PC1 ") && three.title[1].hasSuffix("% OF THE VARIANCE"), three.title[1])
    }

    func testLatentMapOfAModelIsTheScatterOfItsMeans() throws {
        let model = VAE(config: ModelConfig(shape: ImageShape(height: 4, width: 4, channels: 1), hidden: 8, latent: 3, head: "bernoulli"),
                        head: BernoulliHead(options: HeadOptions()), capacity: 5)
        model.initialize(seed: 2)
        let inputs = ImageSet(shape: model.config.shape, pixels: (0..<(12 * 16)).map { UInt8(($0 * 37) % 256) }, labels: (0..<12).map { $0 % 3 })
        var request = ExportRequest(model: model, inputs: inputs, count: 12)
        request.classNames = ["a", "b", "c"]
        let g = try LatentMap.render(request)
        let means = try Evaluator.posteriorMeans(model, on: inputs, count: 12)
        let (points, title) = LatentMap.plane(means, latent: 3)
        XCTAssertEqual(g, ScatterPlot(points: points, labels: inputs.labels, names: ["a", "b", "c"], title: title + ["12 IMAGES"]).draw())
        XCTAssertEqual(g.height, 16 + 3 * ScatterPlot.line + ScatterPlot.plot + ScatterPlot.bottom)

        let one = VAE(config: ModelConfig(shape: model.config.shape, hidden: 8, latent: 1, head: "bernoulli"),
                      head: BernoulliHead(options: HeadOptions()), capacity: 5)
        XCTAssertNotNil(LatentMap.notApplicable(to: one.config))
        XCTAssertNil(LatentMap.notApplicable(to: model.config))
    }

    func testBitmapTextIsDrawnPixelForPixel() {
        XCTAssertEqual(BitmapFont.width(of: "AB", scale: 2), (2 * 6 - 1) * 2)
        XCTAssertEqual(BitmapFont.rows("a"), BitmapFont.rows("A"))
        XCTAssertEqual(BitmapFont.rows("~"), BitmapFont.rows("?"))
        var c = Canvas(width: 6, height: 7)
        c.text("1", x: 0, y: 0, scale: 1, RGB(0))
        let lit = (0..<7).map { y in (0..<5).map { x in c.image.pixels[(y * 6 + x) * 3] == 0 ? "#" : "." }.joined() }
        XCTAssertEqual(lit, ["..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."])
    }
}

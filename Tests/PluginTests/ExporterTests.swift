import Foundation
import VAEPipeBuiltinPlugins
import VAEPipeImageCodecs
import VAEPipeTestSupport
import XCTest

final class ExporterTests: XCTestCase {
    func testGridPlacesTilesWithPaddingAndZoom() {
        let shape = ImageShape(height: 1, width: 2, channels: 1)
        let tiles: [Float] = [0, 1, 0.5, 0.25, 1, 1]
        let g = tiles.withUnsafeBufferPointer { Grid.make(tiles: $0, shape: shape, columns: 2, padding: 1, zoom: 1) }
        // 2 columns x 2 rows of 2x1 tiles with 1-pixel padding: 7 x 5.
        XCTAssertEqual(g.width, 7); XCTAssertEqual(g.height, 5)
        let s = Grid.separator
        XCTAssertEqual(Array(g.pixels[7..<14]), [s, 0, 255, s, 128, 64, s])
        XCTAssertEqual(Array(g.pixels[21..<28]), [s, 255, 255, s, s, s, s])  // the missing 4th tile stays gray
    }

    /// The smallest whole zoom bringing the shorter side to 64 pixels; native size is always 1.
    func testLegibleZoomBringsTheShorterSideToAtLeast64Pixels() {
        func zoom(_ h: Int, _ w: Int, native: Bool = false) -> Int {
            Grid.zoom(ImageShape(height: h, width: w, channels: 1), nativeSize: native)
        }
        XCTAssertEqual(zoom(28, 28), 3)   // Fashion-MNIST: 84 px
        XCTAssertEqual(zoom(32, 32), 2)   // exactly 64
        XCTAssertEqual(zoom(33, 33), 2)
        XCTAssertEqual(zoom(8, 8), 8)
        XCTAssertEqual(zoom(64, 64), 1)
        XCTAssertEqual(zoom(200, 300), 1)
        XCTAssertEqual(zoom(28, 96), 3)   // the shorter side decides
        XCTAssertEqual(zoom(1, 1), 64)
        for side in [1, 7, 28, 31, 32, 63, 64, 65, 500] {
            let z = zoom(side, side)
            XCTAssertGreaterThanOrEqual(side * z, Grid.legibleSide, "\(side)")
            if z > 1 { XCTAssertLessThan(side * (z - 1), Grid.legibleSide, "\(side): not the smallest zoom") }
            XCTAssertEqual(zoom(side, side, native: true), 1)
        }
    }

    func testNativeSizeDrawsEveryGalleryOnePixelPerPixel() throws {
        let model = makeModel()
        let inputs = ImageSet(shape: model.config.shape, pixels: (0..<(11 * 48)).map { UInt8($0 % 256) })
        func draw<E: Exporter>(_ e: E.Type, _ request: ExportRequest) throws -> (legible: GridImage, native: GridImage) {
            var native = request
            native.nativeSize = true
            return (try E.render(request), try E.render(native))
        }
        let z = Grid.legibleZoom(model.config.shape)
        XCTAssertEqual(z, 16)
        let s = try draw(SampleGrid.self, ExportRequest(model: model, count: 4))
        XCTAssertEqual(s.native.width, 2 * 4 + 3 * 2); XCTAssertEqual(s.legible.width, 2 * 4 * z + 3 * 2)
        let r = try draw(Reconstructions.self, ExportRequest(model: model, inputs: inputs, count: 3))
        XCTAssertEqual(r.native.height, 2 * 4 + 3 * 2); XCTAssertEqual(r.legible.height, 2 * 4 * z + 3 * 2)
        // The first input, drawn natively: its pixels as they are, right after the padding.
        XCTAssertEqual(Array(r.native.pixels[(2 * r.native.width + 2) * 3..<(2 * r.native.width + 2) * 3 + 12]),
                       (0..<12).map { UInt8($0) })
        let t = try draw(TraversalStrip.self, ExportRequest(model: model, inputs: inputs, steps: 5))
        XCTAssertEqual(t.native.width, 5 * 4 + 6 * 2); XCTAssertEqual(t.legible.width, 5 * 4 * z + 6 * 2)
    }

    func testQuantizeRoundsAndClamps() {
        XCTAssertEqual([-1, 0, 0.5, 1, 2, .nan].map(Grid.quantize), [0, 0, 128, 255, 255, 0])
    }

    func makeModel(latent: Int = 3) -> VAE {
        let m = VAE(config: ModelConfig(shape: ImageShape(height: 4, width: 4, channels: 3), hidden: 8, latent: latent, head: "bernoulli"),
                    head: BernoulliHead(options: HeadOptions()), capacity: 5)
        m.initialize(seed: 2)
        return m
    }

    func testGalleriesHaveTheDocumentedLayout() throws {
        let model = makeModel()
        let inputs = ImageSet(shape: model.config.shape, pixels: (0..<(11 * 48)).map { UInt8($0 % 256) })
        let z = Grid.legibleZoom(model.config.shape), tile = 4 * z
        let rec = try Reconstructions.render(ExportRequest(model: model, inputs: inputs, count: 11))
        // 11 inputs -> 8 columns, 2 pairs of rows (input row above reconstruction row).
        XCTAssertEqual(rec.width, 8 * tile + 9 * 2); XCTAssertEqual(rec.height, 4 * tile + 5 * 2)
        XCTAssertEqual(rec.channels, 3)
        // Top-left tile is the first input, drawn exactly.
        XCTAssertEqual(Array(rec.pixels[((2 * rec.width) + 2) * 3..<((2 * rec.width) + 2) * 3 + 3]), [0, 1, 2])

        let samples = try SampleGrid.render(ExportRequest(model: model, count: 10))
        XCTAssertEqual(samples.width, 4 * tile + 5 * 2); XCTAssertEqual(samples.height, 3 * tile + 4 * 2)

        let trav = try TraversalStrip.render(ExportRequest(model: model, inputs: inputs, steps: 5))
        XCTAssertEqual(trav.width, 5 * tile + 6 * 2); XCTAssertEqual(trav.height, 3 * tile + 4 * 2)
    }

    func testSamplesAreReproducibleFromTheSeed() throws {
        let model = makeModel()
        let a = try SampleGrid.render(ExportRequest(model: model, count: 4, seed: 3))
        let b = try SampleGrid.render(ExportRequest(model: model, count: 4, seed: 3))
        let c = try SampleGrid.render(ExportRequest(model: model, count: 4, seed: 4))
        XCTAssertEqual(a, b); XCTAssertNotEqual(a, c)
    }

    /// Temperature 0 decodes z = 0 for every tile, whatever the seed; the prior's draws differ.
    func testTemperatureScalesTheDraws() throws {
        let model = makeModel()
        func grid(seed: UInt64, temperature: Float) throws -> GridImage {
            var r = ExportRequest(model: model, count: 4, seed: seed)
            r.temperature = temperature
            return try SampleGrid.render(r)
        }
        XCTAssertEqual(try grid(seed: 3, temperature: 0), try grid(seed: 4, temperature: 0))
        XCTAssertNotEqual(try grid(seed: 3, temperature: 1), try grid(seed: 4, temperature: 1))
        XCTAssertNotEqual(try grid(seed: 3, temperature: 0.5), try grid(seed: 3, temperature: 1))
    }

    func testExportWritesAPNGThatDecodesToTheGrid() throws {
        let model = makeModel()
        let path = Fixtures.temporaryDirectory() + "/s.png"
        try SampleGrid.export(ExportRequest(model: model, count: 4), to: path)
        let grid = try SampleGrid.render(ExportRequest(model: model, count: 4))
        let png = try ImageDecoder.decodeFile(atPath: path)
        XCTAssertEqual(png.pixels, grid.pixels)
        XCTAssertEqual(png.width, grid.width)
    }
}

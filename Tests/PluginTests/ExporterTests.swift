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

    /// The pixels of the tile at (row, column) of a grid of square `side`-pixel tiles with 2-pixel padding.
    func tile(_ g: GridImage, row: Int, column: Int, side: Int) -> [UInt8] {
        let x0 = 2 + column * (side + 2), y0 = 2 + row * (side + 2)
        var out: [UInt8] = []
        for y in y0..<(y0 + side) {
            let start: Int = (y * g.width + x0) * g.channels
            out += g.pixels[start..<(start + side * g.channels)]
        }
        return out
    }

    /// Tiles are thousands of bytes: on a mismatch, say which tile rather than print them.
    func assertSame(_ a: [UInt8], _ b: [UInt8], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(a == b, "\(what) differs (\(zip(a, b).filter { $0 != $1 }.count) of \(a.count) bytes, sizes \(a.count) and \(b.count))",
                      file: file, line: line)
    }

    /// The decoder means of one code `z`, drawn as a tile of the (square) model's gallery.
    func drawn(_ model: VAE, _ z: [Float]) -> [UInt8] {
        let g = Grid.make(Evaluator.decodeMeans(model, latents: z), shape: model.config.shape, columns: 1, for: ExportRequest(model: model))
        return tile(g, row: 0, column: 0, side: model.config.shape.width * Grid.legibleZoom(model.config.shape))
    }

    func testNormalQuantileMatchesKnownValuesAndInvertsTheCDF() {
        XCTAssertEqual(NormalQuantile.of(0.5), 0, accuracy: 1e-15)
        XCTAssertEqual(NormalQuantile.of(0.975), 1.959963984540054, accuracy: 1e-12)
        XCTAssertEqual(NormalQuantile.of(0.125), -1.1503493803760079, accuracy: 1e-12)
        XCTAssertEqual(NormalQuantile.of(1e-10), -6.361340902404056, accuracy: 1e-9)
        XCTAssertEqual(NormalQuantile.of(1 - 1e-10), 6.361340902404056, accuracy: 1e-5)  // 1 - 1e-10 is not exact in Double
        for p in [1e-300, 1e-6, 0.02, 0.02425, 0.3, 0.7, 0.97575, 0.999] {
            XCTAssertEqual(0.5 * erfc(-NormalQuantile.of(p) / 2.0.squareRoot()), p, accuracy: 1e-12 * max(p, 1e-3), "\(p)")
        }
    }

    /// Kingma and Welling's fig. 4: z = Φ⁻¹ of the cell midpoints of an n x n grid, z1 rightwards, z2 upwards.
    func testManifoldCornersAreNormalQuantilesOfTheGridsCellMidpoints() {
        let z = Manifold.latents(side: 4)
        XCTAssertEqual(z.count, 2 * 16)
        let q = Float(NormalQuantile.of(1.0 / 8))  // -1.1503
        XCTAssertEqual(q, -1.1503494, accuracy: 1e-6)
        func code(_ r: Int, _ c: Int) -> [Float] { Array(z[(2 * (r * 4 + c))..<(2 * (r * 4 + c) + 2)]) }
        XCTAssertEqual(code(0, 0), [q, -q])   // top left: lowest z1, highest z2
        XCTAssertEqual(code(0, 3), [-q, -q])
        XCTAssertEqual(code(3, 0), [q, q])
        XCTAssertEqual(code(3, 3), [-q, q])
        XCTAssertEqual(code(1, 2)[0], Float(NormalQuantile.of(5.0 / 8)))
        XCTAssertEqual(code(1, 2)[1], Float(NormalQuantile.of(5.0 / 8)))
    }

    func testManifoldIsASquareGridOfTheDecodedCodes() throws {
        let model = makeModel(latent: 2)
        let g = try Manifold.render(ExportRequest(model: model, count: 3))
        let side = 4 * Grid.legibleZoom(model.config.shape)
        XCTAssertEqual(g.width, 3 * side + 4 * 2); XCTAssertEqual(g.height, g.width)
        let z = Manifold.latents(side: 3)
        assertSame(tile(g, row: 0, column: 0, side: side), drawn(model, Array(z[0..<2])), "the top-left tile")
        assertSame(tile(g, row: 2, column: 1, side: side), drawn(model, Array(z[14..<16])), "tile (2, 1)")
    }

    /// Not drawn for other latent sizes: the exporter says why, and writing it is an error saying so.
    func testManifoldDoesNotApplyToOtherLatentSizes() throws {
        let config = makeModel(latent: 3).config
        XCTAssertEqual(Manifold.notApplicable(to: config), "it is drawn for a 2-D latent and this model's has 3 dimensions (train with --latent 2)")
        XCTAssertNil(Manifold.notApplicable(to: makeModel(latent: 2).config))
        XCTAssertNil(SampleGrid.notApplicable(to: config))
        let plugin = try BuiltinPlugins.registry().exporter(Manifold.id)
        XCTAssertNotNil(plugin.notApplicable(config))
        let path = Fixtures.temporaryDirectory() + "/m.png"
        XCTAssertThrowsError(try plugin.write(ExportRequest(model: makeModel(latent: 3)), to: path)) { error in
            XCTAssertTrue("\(error)".hasPrefix("the manifold gallery does not apply to this model: it is drawn for a 2-D latent"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        XCTAssertThrowsError(try Manifold.render(ExportRequest(model: makeModel(latent: 3))))
    }

    /// The line's ends are the two posterior means exactly; the middle of an odd line is their average.
    func testInterpolationLatentsRunStraightFromOneMeanToTheOther() {
        let means: [Float] = [1, -2, 0.3,   5, 5, 5,    // the a's of two pairs (k = 3)
                              -1, 4, 0.7,   5, 5, 5]    // their b's
        let z = Interpolations.latents(between: means, latent: 3, steps: 5)
        XCTAssertEqual(z.count, 2 * 5 * 3)
        XCTAssertEqual(Array(z[0..<3]), [1, -2, 0.3])
        XCTAssertEqual(Array(z[12..<15]), [-1, 4, 0.7])
        XCTAssertEqual(z[6], 0); XCTAssertEqual(z[7], 1); XCTAssertEqual(z[8], 0.5, accuracy: 1e-6)
        XCTAssertEqual(Array(z[15..<30]), [Float](repeating: 5, count: 15))  // a pair of one point stays put
    }

    /// Each row: input a | decoded means from a's posterior mean to b's | input b, with b from the far half.
    func testInterpolationRowsStartAndEndAtTheInputsAndTheirDecodedMeans() throws {
        let model = makeModel()
        let inputs = ImageSet(shape: model.config.shape, pixels: (0..<(10 * 48)).map { UInt8(($0 * 7) % 256) })
        let g = try Interpolations.render(ExportRequest(model: model, inputs: inputs, count: 2, steps: 4))
        let side = 4 * Grid.legibleZoom(model.config.shape)
        XCTAssertEqual(g.width, 6 * side + 7 * 2); XCTAssertEqual(g.height, 2 * side + 3 * 2)
        // Two pairs of 10 inputs: evenly spaced picks 0, 2, 5, 7; rows (0, 5) and (2, 7).
        let picked = inputs.evenlySpaced(4)
        let means = try Evaluator.posteriorMeans(model, on: picked, count: 4)
        let k = model.latent
        for (row, (a, b)) in [(0, 2), (1, 3)].enumerated() {
            assertSame(tile(g, row: row, column: 0, side: side), try drawnInput(picked, a, model: model), "row \(row)'s input a")
            assertSame(tile(g, row: row, column: 5, side: side), try drawnInput(picked, b, model: model), "row \(row)'s input b")
            assertSame(tile(g, row: row, column: 1, side: side), drawn(model, Array(means[(a * k)..<((a + 1) * k)])), "row \(row)'s first decoded tile")
            assertSame(tile(g, row: row, column: 4, side: side), drawn(model, Array(means[(b * k)..<((b + 1) * k)])), "row \(row)'s last decoded tile")
        }
        XCTAssertTrue(tile(g, row: 0, column: 1, side: side) != tile(g, row: 0, column: 4, side: side), "the line's ends look alike")
        XCTAssertThrowsError(try Interpolations.render(ExportRequest(model: model, inputs: inputs.evenlySpaced(1))))
    }

    /// Input `i` of `set` as a grid draws it: exactly its 8-bit pixels, enlarged.
    func drawnInput(_ set: ImageSet, _ i: Int, model: VAE) throws -> [UInt8] {
        let g = Grid.make(try set.pixels(i).map { Float($0) / 255 }, shape: set.shape, columns: 1, for: ExportRequest(model: model))
        return tile(g, row: 0, column: 0, side: set.shape.width * Grid.legibleZoom(set.shape))
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

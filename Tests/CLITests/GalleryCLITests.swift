import Foundation
import VAEPipeTestSupport
import XCTest

/// The galleries of issue 10 through the binary: written by `train` where they apply, drawn
/// again by their commands, and refused with the reason where they do not.
final class GalleryCLITests: CLITestCase {
    /// The test split labelled too (classes 0 to 3), for the latent map's legend.
    static let data: String = {
        let dir = Fixtures.idxDirectory(train: 64, test: 16, side: 8)
        FileManager.default.createFile(atPath: dir + "/t10k-labels-idx1-ubyte",
                                       contents: Data(Fixtures.idx(dimensions: [16], data: (0..<16).map { UInt8($0 % 4) })))
        return dir
    }()
    nonisolated(unsafe) static var runs: [Int: String] = [:]

    /// One short run per latent size, shared by the tests here.
    func run(latent: Int) throws -> String {
        if let dir = Self.runs[latent] { return dir }
        let dir = Fixtures.temporaryDirectory() + "/z\(latent)"
        let r = try run(["train", "--data", Self.data, "--epochs", "1", "--batch", "16", "--latent", "\(latent)",
                         "--hidden", "16", "--out", dir])
        XCTAssertEqual(r.status, 0, r.stderr)
        Self.runs[latent] = dir
        return dir
    }

    func testManifoldIsWrittenForA2DLatentAndRefusedOtherwise() throws {
        let z2 = try run(latent: 2), z3 = try run(latent: 3)
        // 15 x 15 tiles of 8 px enlarged 8x.
        XCTAssertEqual(try pngSize(z2 + "/manifold.png").0, 15 * 64 + 16 * 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: z3 + "/manifold.png"))
        XCTAssertTrue(try String(contentsOfFile: z2 + "/index.html", encoding: .utf8).contains("alt=\"manifold\""))
        XCTAssertFalse(try String(contentsOfFile: z3 + "/index.html", encoding: .utf8).contains("alt=\"manifold\""))

        let out = Fixtures.temporaryDirectory()
        let m = try run(["manifold", "--run", z2, "--count", "4", "--native-size", "--out", out + "/m.png"])
        XCTAssertEqual(m.status, 0, m.stderr)
        XCTAssertEqual(try pngSize(out + "/m.png").0, 4 * 8 + 5 * 2)
        let refused = try run(["manifold", "--run", z3, "--out", out + "/m3.png"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("the manifold gallery does not apply to this model: it is drawn for a 2-D latent and this model's has 3 dimensions"),
                      refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/m3.png"))
    }

    func testInterpolationsAreWrittenByTrainAndByInterpolate() throws {
        let z3 = try run(latent: 3)
        // 16 test images: 8 pairs; a row is input, 9 decoded images, input, of 8 px tiles enlarged 8x.
        let (w, h) = try pngSize(z3 + "/interpolations.png")
        XCTAssertEqual(w, 11 * 64 + 12 * 2); XCTAssertEqual(h, 8 * 64 + 9 * 2)
        let out = Fixtures.temporaryDirectory() + "/i.png"
        let r = try run(["interpolate", "--run", z3, "--data", Self.data, "--count", "2", "--steps", "3", "--native-size", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let (nw, nh) = try pngSize(out)
        XCTAssertEqual(nw, 5 * 8 + 6 * 2); XCTAssertEqual(nh, 2 * 8 + 3 * 2)
        let missing = try run(["interpolate", "--run", z3, "--out", out])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("--data"), missing.stderr)
    }

    /// Drawn by train for every latent of 2 dimensions or more, with a legend for the labelled test split;
    /// three title lines when a PCA projection needs saying so.
    func testLatentMapIsWrittenByTrainAndByLatentMap() throws {
        let z2 = try run(latent: 2), z3 = try run(latent: 3)
        // The plot, then a legend of a swatch and a one-digit label, or nothing.
        let legend = 84 + 440 + 16 + 22 + 10 + 16, plain = 84 + 440 + 16
        XCTAssertEqual(try pngSize(z2 + "/latent-map.png").0, legend)
        XCTAssertEqual(try pngSize(z2 + "/latent-map.png").1, 16 + 2 * 20 + 440 + 40)
        XCTAssertEqual(try pngSize(z3 + "/latent-map.png").1, 16 + 3 * 20 + 440 + 40)
        let out = Fixtures.temporaryDirectory() + "/map.png"
        // The labelled test split gets a legend; a file of images alone has no labels: one colour, no legend.
        let r = try run(["latent-map", "--run", z3, "--data", Self.data, "--count", "10", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try pngSize(out).0, legend)
        let unlabelled = try run(["latent-map", "--run", z3, "--data", Self.data + "/t10k-images-idx3-ubyte", "--out", out])
        XCTAssertEqual(unlabelled.status, 0, unlabelled.stderr)
        XCTAssertEqual(try pngSize(out).0, plain)
    }

    /// A directory that held a 2-D run and is reused for another latent size loses the old manifold.
    func testAStaleManifoldIsRemovedWhenTheNewRunHasNone() throws {
        let dir = Fixtures.temporaryDirectory() + "/run"
        for latent in [2, 3] {
            let r = try run(["train", "--data", Self.data, "--epochs", "1", "--batch", "16", "--latent", "\(latent)",
                             "--hidden", "16", "--out", dir])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(FileManager.default.fileExists(atPath: dir + "/manifold.png"), latent == 2)
            XCTAssertEqual(r.stdout.contains("manifold.png"), latent == 2, r.stdout)
        }
    }
}

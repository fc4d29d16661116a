import Foundation
import VAEPipeTestSupport
import XCTest

/// Runs the built `vaepipe` binary on tiny data, as a user would.
final class CLIEndToEndTests: CLITestCase {
    func testTrainOnIDXThenSampleReconstructTraverseEvaluate() throws {
        let data = Fixtures.idxDirectory(train: 96, test: 16, side: 8)
        let runDir = Fixtures.temporaryDirectory() + "/run"
        let r = try run(["train", "--data", data, "--epochs", "3", "--batch", "16", "--latent", "2",
                         "--hidden", "32", "--lr", "0.01", "--out", runDir])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("96 training images, 16 test images, 8x8x1"), r.stdout)
        XCTAssertTrue(r.stdout.contains("epoch 3/3"), r.stdout)
        for f in ["model.safetensors", "run.json", "metrics.jsonl", "reconstructions.png", "samples.png", "traversals.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: runDir + "/" + f), f)
        }
        let lines = try String(contentsOfFile: runDir + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        let last = try JSONSerialization.jsonObject(with: Data(lines[2].utf8)) as! [String: Any]
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        XCTAssertLessThan(last["train_loss"] as! Double, first["train_loss"] as! Double)
        let testNeg = try XCTUnwrap(last["test_neg_elbo"] as? Double)
        // Bernoulli nats are a probability of the data: bits/dim is the neg-ELBO over 64 ln 2.
        XCTAssertEqual(try XCTUnwrap(last["test_bits_per_dim"] as? Double), testNeg / (64 * log(2)), accuracy: 1e-9)
        XCTAssertTrue((0...2).contains(try XCTUnwrap(last["active_units"] as? Int)))
        XCTAssertTrue(r.stdout.contains("bits/dim"), r.stdout)

        // 8x8 tiles are zoomed 8x to 64 pixels; 2 latent dimensions x 9 steps.
        let (tw, th) = try pngSize(runDir + "/traversals.png")
        XCTAssertEqual(tw, 9 * 64 + 10 * 2); XCTAssertEqual(th, 2 * 64 + 3 * 2)

        let out = Fixtures.temporaryDirectory()
        XCTAssertEqual(try run(["sample", "--run", runDir, "--count", "4", "--out", out + "/s.png"]).status, 0)
        XCTAssertEqual(try pngSize(out + "/s.png").0, 2 * 64 + 3 * 2)
        XCTAssertEqual(try run(["reconstruct", "--run", runDir, "--data", data, "--count", "3", "--out", out + "/r.png"]).status, 0)
        XCTAssertEqual(try pngSize(out + "/r.png").1, 2 * 64 + 3 * 2)
        XCTAssertEqual(try run(["traverse", "--run", runDir, "--steps", "5", "--out", out + "/t.png"]).status, 0)
        XCTAssertEqual(try pngSize(out + "/t.png").0, 5 * 64 + 6 * 2)

        let e = try run(["evaluate", "--run", runDir, "--data", data])
        XCTAssertEqual(e.status, 0, e.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(json["split"] as? String, "test")
        XCTAssertEqual(json["examples"] as? Int, 16)
        let neg = try XCTUnwrap(json["neg_elbo"] as? Double), rec = try XCTUnwrap(json["reconstruction"] as? Double)
        let kl = try XCTUnwrap(json["kl"] as? Double)
        XCTAssertEqual(neg, rec + kl, accuracy: 1e-6)
        XCTAssertTrue((5...60).contains(try XCTUnwrap(json["psnr"] as? Double)), "\(json)")
        // The same model and seed score the same as the last epoch's test figure.
        XCTAssertEqual(neg, last["test_neg_elbo"] as! Double, accuracy: 1e-3)
    }

    /// --native-size draws 8x8 tiles as 8x8, is recorded in run.json, and a resumed run keeps it;
    /// the gallery commands take it too.
    func testNativeSizeIsRecordedAndKeptByResume() throws {
        let data = Fixtures.idxDirectory(train: 32, test: 8, side: 8)
        let runDir = Fixtures.temporaryDirectory() + "/run"
        let r = try run(["train", "--data", data, "--epochs", "1", "--batch", "16", "--latent", "2", "--hidden", "16",
                         "--native-size", "--out", runDir])
        XCTAssertEqual(r.status, 0, r.stderr)
        // 64 samples: 8 columns of 8-pixel tiles.
        XCTAssertEqual(try pngSize(runDir + "/samples.png").0, 8 * 8 + 9 * 2)
        let info = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: runDir + "/run.json"))) as! [String: Any]
        XCTAssertEqual((info["options"] as? [String: Any])?["native_size"] as? Bool, true)
        try FileManager.default.removeItem(atPath: runDir + "/samples.png")
        let resumed = try run(["train", "--resume", runDir, "--epochs", "2"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try pngSize(runDir + "/samples.png").0, 8 * 8 + 9 * 2)

        let out = Fixtures.temporaryDirectory()
        for (args, width) in [(["sample", "--count", "4"], 2 * 8 + 3 * 2), (["reconstruct", "--data", data, "--count", "2"], 2 * 8 + 3 * 2),
                              (["traverse", "--steps", "3"], 3 * 8 + 4 * 2)] {
            let g = try run(args + ["--run", runDir, "--native-size", "--out", out + "/g.png"])
            XCTAssertEqual(g.status, 0, g.stderr)
            XCTAssertEqual(try pngSize(out + "/g.png").0, width, "\(args)")
        }
    }

    func testTrainOnAMessyImageFolderSkipsAndListsBrokenFiles() throws {
        let runDir = Fixtures.temporaryDirectory() + "/run"
        let r = try run(["train", "--data", Fixtures.samples + "/mixed-folder", "--likelihood", "gaussian", "--size", "8",
                         "--epochs", "2", "--batch", "4", "--latent", "2", "--hidden", "16", "--out", runDir])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("8 training images") && r.stdout.contains("8x8x3"), r.stdout)
        XCTAssertTrue(r.stdout.contains("skipped 3 unreadable file(s)"), r.stdout)
        let skipped = try String(contentsOfFile: runDir + "/skipped.txt", encoding: .utf8)
        XCTAssertEqual(skipped.split(separator: "\n").count, 3)
        XCTAssertTrue(skipped.contains("truncated.png"), skipped)
        XCTAssertTrue(FileManager.default.fileExists(atPath: runDir + "/samples.png"))
    }

    func testConvModelTrainsAndSamplesFromItsCheckpoint() throws {
        let data = Fixtures.idxDirectory(train: 32, test: 8, side: 12)
        let runDir = Fixtures.temporaryDirectory() + "/run"
        let r = try run(["train", "--data", data, "--arch", "conv", "--width", "4", "--hidden", "16", "--latent", "2",
                         "--epochs", "2", "--batch", "8", "--out", runDir])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("model: conv 16x16 1-4-8 -> 16 -> 2"), r.stdout)
        let out = Fixtures.temporaryDirectory() + "/s.png"
        XCTAssertEqual(try run(["sample", "--run", runDir, "--count", "4", "--out", out]).status, 0)
        // 12x12 tiles (cropped back from 16x16), zoomed 6x.
        XCTAssertEqual(try pngSize(out).0, 2 * 72 + 3 * 2)
    }

    func assertFails(_ args: [String], mentioning needles: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try run(args)
        XCTAssertNotEqual(r.status, 0, "expected failure: \(args)", file: file, line: line)
        for n in needles { XCTAssertTrue(r.stderr.contains(n), "stderr lacks '\(n)': \(r.stderr)", file: file, line: line) }
        XCTAssertFalse(r.stderr.contains("Fatal error") || r.stderr.contains("Stack dump"), r.stderr, file: file, line: line)
        XCTAssertLessThanOrEqual(r.stderr.split(separator: "\n").count, 3, "one clear line, not a wall: \(r.stderr)", file: file, line: line)
    }

    func testBadInputGivesOneClearErrorLine() throws {
        let out = Fixtures.temporaryDirectory()
        try assertFails(["train", "--data", "/no/such/dir", "--out", out + "/r"], mentioning: ["/no/such/dir", "no such file"])
        let empty = Fixtures.temporaryDirectory()
        try assertFails(["train", "--data", empty, "--out", out + "/r"], mentioning: [empty, "no PNG or JPEG images"])
        let bad = out + "/bad-idx3-ubyte"
        _ = FileManager.default.createFile(atPath: bad, contents: Data(Fixtures.idx(dimensions: [10, 4, 4], data: [1, 2, 3])))
        try assertFails(["train", "--data", bad, "--out", out + "/r"], mentioning: [bad, "truncated"])
        try assertFails(["train", "--data", empty, "--likelihood", "poisson", "--out", out + "/r"], mentioning: ["poisson", "bernoulli, gaussian"])
        try assertFails(["train", "--data", empty, "--likelihood", "gaussian", "--binarize", "dynamic", "--out", out + "/r"],
                        mentioning: ["bernoulli"])
        try assertFails(["train", "--data", empty, "--epochs", "0", "--out", out + "/r"], mentioning: ["--epochs"])
        try assertFails(["sample", "--run", out + "/nothing", "--out", out + "/s.png"], mentioning: [out + "/nothing"])
        let junk = out + "/junk.safetensors"
        _ = FileManager.default.createFile(atPath: junk, contents: Data("garbage garbage".utf8))
        try assertFails(["sample", "--run", junk, "--out", out + "/s.png"], mentioning: [junk, "not a usable checkpoint"])
    }

    func testPluginsListsEveryRegisteredId() throws {
        let r = try run(["plugins"])
        XCTAssertEqual(r.status, 0)
        for id in ["idx", "images", "bernoulli", "gaussian", "reconstructions", "samples", "traversals"] {
            XCTAssertTrue(r.stdout.contains("  \(id) "), "missing \(id): \(r.stdout)")
        }
    }

    /// `doctor` names the ISA it dispatched to, measures the FMA peak and gives each product's
    /// GFLOP/s as a share of it; with zero skipping turned off, the backend line says so.
    func testDoctorMeasuresThePeakAndEachProductsShareOfIt() throws {
        let text = try run(["doctor", "--seconds", "0.02"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("fma peak ("), text.stdout)
        XCTAssertEqual(text.stdout.components(separatedBy: "% of peak)").count - 1, 5, text.stdout)
        let json = try run(at: binary.path, ["doctor", "--seconds", "0.02", "--json"], environment: ["VAEPIPE_ZERO_SKIP": "0"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertGreaterThan(try XCTUnwrap(object["fma_peak_gflops"] as? Double), 0)
        XCTAssertEqual((object["gflops"] as? [String: Double])?.count, 5)
        XCTAssertTrue((object["backend"] as? String ?? "").contains("zero steps not skipped"), json.stdout)
    }
}

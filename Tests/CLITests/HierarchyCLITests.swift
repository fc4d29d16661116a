import Foundation
import VAEPipeTestSupport
import XCTest

/// `train --arch hvae` from the command line on a tiny folder: what the run prints and writes,
/// the IWAE estimate over the whole hierarchy, and resuming to the numbers of a run never stopped.
final class HierarchyCLITests: CLITestCase {
    var folder: String { Fixtures.samples + "/mixed-folder" }

    func train(_ extra: [String], out: String) throws -> Result {
        try run(["train", "--data", folder, "--size", "16", "--test-fraction", "0.4", "--arch", "hvae", "--blocks", "1",
                 "--width", "4", "--latent", "2", "--likelihood", "gaussian", "--batch", "2", "--out", out,
                 "--lr-schedule", "cosine", "--ema", "0.9", "--flip"] + extra)
    }

    func metrics(_ dir: String) throws -> [[String: Any]] {
        try String(contentsOfFile: dir + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    func testHierarchyTrainsDrawsEvaluatesAndResumesExactly() throws {
        let whole = Fixtures.temporaryDirectory() + "/whole"
        let r = try train(["--epochs", "2"], out: whole)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("model: hvae 16x16, width 4, 1 block(s) per resolution, latent groups at 4x4 8x8 with 2 channels each"),
                      r.stdout)
        for file in ["model.safetensors", "samples.png", "reconstructions.png", "index.html"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: whole + "/" + file), "no \(file)")
        }
        let m = try metrics(whole)
        XCTAssertEqual(m.count, 2)
        XCTAssertTrue((m[1]["test_neg_elbo"] as? Double ?? .nan).isFinite)
        // One KL per group (4x4, 8x8: 16x16 images work at half their side), adding up to the test KL.
        let groups = try XCTUnwrap(m[1]["test_kl_groups"] as? [Double])
        XCTAssertEqual(groups.count, 2)
        XCTAssertEqual(groups.reduce(0, +), m[1]["test_kl"] as! Double, accuracy: 1e-6 * max(1, abs(groups.reduce(0, +))))
        XCTAssertTrue(r.stdout.contains("kl by group"), r.stdout)
        // Active units per group, at most the group's dimensions (4x4 and 8x8 with 2 channels).
        let units = try XCTUnwrap(m[1]["active_units_groups"] as? [Int])
        XCTAssertEqual(units.count, 2)
        for (u, dims) in zip(units, [32, 128]) { XCTAssertTrue((0...dims).contains(u), "\(units)") }
        XCTAssertEqual(units[0], m[1]["active_units"] as? Int, "the top group's are the model's active units")
        XCTAssertTrue(r.stdout.contains("(active "), r.stdout)
        XCTAssertTrue(try String(contentsOfFile: whole + "/index.html", encoding: .utf8).contains("Latent groups"))

        let e = try run(["evaluate", "--run", whole, "--data", folder, "--size", "16", "--test-fraction", "0.4", "--iwae", "8"])
        XCTAssertEqual(e.status, 0, e.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as! [String: Any]
        let logLikelihood = try XCTUnwrap(json["log_likelihood"] as? Double), elbo = try XCTUnwrap(json["elbo_sampled"] as? Double)
        XCTAssertGreaterThanOrEqual(logLikelihood, elbo, "log of a mean of weights is at least the mean of their logs")
        // The one-sample ELBO over the IWAE draws estimates the same quantity as the epoch's figure.
        let neg = try XCTUnwrap(json["neg_elbo"] as? Double)
        XCTAssertEqual(neg, m[1]["test_neg_elbo"] as! Double, accuracy: 1e-3)

        let parts = Fixtures.temporaryDirectory() + "/parts"
        let stopped = try train(["--epochs", "2", "--time-budget", "0.2s"], out: parts)
        XCTAssertEqual(stopped.status, 0, stopped.stderr)
        let resumed = try run(["train", "--resume", parts, "--time-budget", "1h"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let a = try metrics(parts)
        for key in ["train_loss", "test_neg_elbo", "test_psnr"] {
            XCTAssertEqual(a.map { $0[key] as? Double }, m.map { $0[key] as? Double }, key)
        }
        XCTAssertEqual(a.map { $0["active_units_groups"] as? [Int] }, m.map { $0["active_units_groups"] as? [Int] })
    }

    func testHierarchyRefusesTheSeveralSampleObjectives() throws {
        let r = try train(["--objective", "iwae", "--samples", "4"], out: Fixtures.temporaryDirectory() + "/never")
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains("--arch hvae trains on the one-sample ELBO"), r.stderr)
    }
}

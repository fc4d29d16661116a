import Foundation
import VAEPipeTestSupport
import XCTest

/// `train --objective iwae --samples K` (and the several-sample ELBO) from the command line:
/// the printed loss names the bound, metrics.jsonl keeps it, and a resumed run ends exactly
/// where an uninterrupted one does.
final class ObjectiveCLITests: CLITestCase {
    let data = Fixtures.idxDirectory(train: 64, test: 16, side: 6)

    func train(_ extra: [String], epochs: Int, out: String) throws -> Result {
        try run(["train", "--data", data, "--epochs", "\(epochs)", "--batch", "16", "--latent", "2", "--hidden", "16",
                 "--binarize", "dynamic", "--out", out] + extra)
    }

    func metrics(_ dir: String) throws -> [[String: Any]] {
        try String(contentsOfFile: dir + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    func testIWAETrainingNamesItsBoundAndResumesExactly() throws {
        let whole = Fixtures.temporaryDirectory() + "/whole"
        let r = try train(["--objective", "iwae", "--samples", "5"], epochs: 2, out: whole)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("train neg-IWAE bound (5 samples)"), r.stdout)
        let m = try metrics(whole)
        XCTAssertEqual(m.count, 2)
        // The bound is tighter than the ELBO of the same steps (in expectation; by far here).
        let bound = try XCTUnwrap(m[1]["train_objective"] as? Double), elbo = try XCTUnwrap(m[1]["train_loss"] as? Double)
        XCTAssertLessThan(bound, elbo)
        let run = try String(contentsOfFile: whole + "/run.json", encoding: .utf8)
        XCTAssertTrue(run.contains("neg-IWAE bound (5 samples)"), run)

        let parts = Fixtures.temporaryDirectory() + "/parts"
        XCTAssertEqual(try train(["--objective", "iwae", "--samples", "5"], epochs: 1, out: parts).status, 0)
        let resumed = try self.run(["train", "--resume", parts, "--epochs", "2"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let a = try metrics(parts), b = m
        XCTAssertEqual(a.map { $0["train_objective"] as? Double }, b.map { $0["train_objective"] as? Double })
        XCTAssertEqual(a.map { $0["test_neg_elbo"] as? Double }, b.map { $0["test_neg_elbo"] as? Double })
    }

    func testSeveralSampleELBOIsStillTheNegativeELBO() throws {
        let out = Fixtures.temporaryDirectory() + "/elbo"
        let r = try train(["--samples", "3"], epochs: 1, out: out)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("train loss"), r.stdout)
        XCTAssertNil(try metrics(out)[0]["train_objective"] as? Double)
    }

    func testIWAEWithAWeightedKLIsRefused() throws {
        let r = try train(["--objective", "iwae", "--samples", "5", "--beta", "4"], epochs: 1,
                          out: Fixtures.temporaryDirectory() + "/refused")
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("the IWAE bound has no separate KL term"), r.stderr)
        let zero = try train(["--samples", "0"], epochs: 1, out: Fixtures.temporaryDirectory() + "/zero")
        XCTAssertTrue(zero.stderr.contains("--samples must be 1 to"), zero.stderr)
    }
}

import Foundation
import VAEPipeTestSupport
import XCTest

/// `train --arch resnet` with the training aids and a time budget, from the command line: what
/// the run prints and records, held-out PSNR per epoch on a folder, and resuming to the numbers
/// of a run never stopped.
final class TrainingAidsCLITests: CLITestCase {
    var folder: String { Fixtures.samples + "/mixed-folder" }
    let aids = ["--lr-schedule", "cosine", "--warmup", "2", "--ema", "0.9", "--flip", "--clip-grad", "5"]

    func train(_ extra: [String], out: String) throws -> Result {
        try run(["train", "--data", folder, "--size", "16", "--test-fraction", "0.4", "--arch", "resnet", "--blocks", "1",
                 "--width", "4", "--latent", "3", "--likelihood", "gaussian", "--batch", "2", "--out", out] + extra)
    }

    func metrics(_ dir: String) throws -> [[String: Any]] {
        try String(contentsOfFile: dir + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    func testResNetWithEveryAidTrainsRecordsAndResumesExactly() throws {
        let whole = Fixtures.temporaryDirectory() + "/whole"
        let r = try train(aids + ["--epochs", "3"], out: whole)
        XCTAssertEqual(r.status, 0, r.stderr)
        for text in ["model: resnet 16x16 3-4-8, 1 block(s) per resolution -> 3",
                     "training: lr 0.001 cosine after 2 warm-up steps, weights averaged (ema 0.9), random flips, gradient norm clipped at 5.0",
                     "PSNR"] {
            XCTAssertTrue(r.stdout.contains(text), "missing '\(text)' in:\n\(r.stdout)")
        }
        let m = try metrics(whole)
        XCTAssertEqual(m.count, 3)
        let psnr = try XCTUnwrap(m[2]["test_psnr"] as? Double)
        XCTAssertTrue(psnr > 3 && psnr < 60, "\(psnr)")
        // The last step's rate: the cosine at (T - 1) / T of its way down (T = 3 epochs of 3 steps).
        XCTAssertEqual(m[2]["learning_rate"] as? Double ?? -1, 1e-3 * 0.5 * (1 + cos(Double.pi * 8 / 9)), accuracy: 1e-9)
        XCTAssertNotNil(m[0]["clipped_steps"] as? Int)
        let page = try String(contentsOfFile: whole + "/index.html", encoding: .utf8)
        XCTAssertTrue(page.contains("Test PSNR"), "index.html has no PSNR card")

        // Stopped early by a budget (the first step boundary past it: well before 3 epochs in a
        // debug build), then resumed with a budget it cannot reach.
        let parts = Fixtures.temporaryDirectory() + "/parts"
        let stopped = try train(aids + ["--epochs", "3", "--time-budget", "0.2s"], out: parts)
        XCTAssertEqual(stopped.status, 0, stopped.stderr)
        XCTAssertTrue(stopped.stdout.contains("time budget 0.2s reached"), stopped.stdout)
        let resumed = try run(["train", "--resume", parts, "--time-budget", "1h"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let a = try metrics(parts)
        for key in ["train_loss", "test_neg_elbo", "test_psnr", "learning_rate"] {
            XCTAssertEqual(a.map { $0[key] as? Double }, m.map { $0[key] as? Double }, key)
        }
    }

    /// Under a budget the run stops at a step boundary with its checkpoint and galleries written,
    /// says how far it got, and --resume goes on.
    func testTimeBudgetStopsWritesAndResumes() throws {
        let out = Fixtures.temporaryDirectory() + "/budget"
        let r = try train(["--time-budget", "1s", "--epochs", "1000000"], out: out)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("time budget 1s reached at"), r.stdout)
        XCTAssertTrue(r.stdout.contains("go on with: vaepipe train --resume \(out)"), r.stdout)
        for file in ["model.safetensors", "samples.png", "reconstructions.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + file), file)
        }
        let before = try metrics(out).count
        let again = try run(["train", "--resume", out, "--time-budget", "1s"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("resuming \(out)"), again.stdout)
        XCTAssertGreaterThan(try metrics(out).count, before)
    }

    /// Without --epochs, the first epoch's pace plans the schedule.
    func testTimeBudgetWithoutEpochsPlansTheSchedule() throws {
        let out = Fixtures.temporaryDirectory() + "/plan"
        let r = try train(["--time-budget", "3s", "--lr-schedule", "cosine"], out: out)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("time budget 3s: ") && r.stdout.contains("planning"), r.stdout)
    }

    /// --skip-grad below every step's gradient norm: no step is taken, so the weights (and the
    /// test figures) stay the initial ones, and every step is counted; a threshold above all of
    /// them takes every step, as a run without it does.
    func testSkipGradSkipsStepsOverItsNormAndCountsThem() throws {
        let skipped = Fixtures.temporaryDirectory() + "/skipped"
        let r = try train(["--epochs", "2", "--skip-grad", "1e-9"], out: skipped)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("steps skipped over gradient norm 1e-09"), r.stdout)
        let m = try metrics(skipped)
        XCTAssertEqual(m.map { $0["skipped_steps"] as? Int }, [3, 3])
        XCTAssertEqual(m[0]["test_neg_elbo"] as? Double, m[1]["test_neg_elbo"] as? Double)

        let taken = Fixtures.temporaryDirectory() + "/taken", plain = Fixtures.temporaryDirectory() + "/plain"
        XCTAssertEqual(try train(["--epochs", "2", "--skip-grad", "1e30"], out: taken).status, 0)
        XCTAssertEqual(try train(["--epochs", "2"], out: plain).status, 0)
        let t = try metrics(taken), p = try metrics(plain)
        XCTAssertEqual(t.map { $0["skipped_steps"] as? Int }, [0, 0])
        XCTAssertEqual(t.map { $0["test_neg_elbo"] as? Double }, p.map { $0["test_neg_elbo"] as? Double })
        XCTAssertNotEqual(t[0]["test_neg_elbo"] as? Double, t[1]["test_neg_elbo"] as? Double)
    }

    func testBadTrainingAidValuesAreRefused() throws {
        let out = Fixtures.temporaryDirectory() + "/bad"
        for (args, message) in [(["--time-budget", "10x"], "--time-budget"), (["--ema", "1"], "--ema must be at least 0 and below 1"),
                                (["--clip-grad=-1"], "--clip-grad must be"),
                                (["--skip-grad", "5", "--clip-grad", "10"], "--skip-grad (5.0) must be above --clip-grad (10.0)"), (["--arch", "conv", "--blocks", "2"], "--blocks is for --arch resnet")] {
            let r = try run(["train", "--data", folder, "--out", out] + args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/model.safetensors"))
    }

    /// Images of 32x32 and up get the measured defaults (hvae in batches of 16 at lr 2e-3, optimal
    /// sigma for the gaussian head, cosine after warm-up, a weight average, flips); each flag still
    /// wins, and run.json records what was used. Smaller images keep the MLP and no aids.
    func testLargeImagesGetTheColourFolderDefaults() throws {
        let out = Fixtures.temporaryDirectory() + "/defaults"
        let r = try run(["train", "--data", folder, "--likelihood", "gaussian", "--epochs", "1", "--width", "4", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("model: hvae 32x32, width 4, 1 block(s) per resolution, latent groups at 4x4 8x8 16x16 with 8 channels each"), r.stdout)
        XCTAssertTrue(r.stdout.contains("training: lr 0.002 cosine after 100 warm-up steps, weights averaged (ema 0.999), random flips"), r.stdout)
        let info = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/run.json"))) as! [String: Any]
        let options = info["options"] as! [String: Any]
        XCTAssertEqual(options["sigma"] as? String, "optimal")
        XCTAssertEqual(options["arch"] as? String, "hvae")
        XCTAssertEqual(options["flip"] as? Bool, true)
        XCTAssertEqual(options["batch"] as? Int, 16)
        XCTAssertEqual(options["lr"] as? Double, 0.002)

        // The hierarchy trains on the one-sample ELBO: with another objective, the resnet.
        let iwae = Fixtures.temporaryDirectory() + "/iwae"
        let w = try run(["train", "--data", folder, "--likelihood", "gaussian", "--epochs", "1", "--batch", "4", "--width", "4",
                         "--objective", "iwae", "--samples", "2", "--out", iwae])
        XCTAssertEqual(w.status, 0, w.stderr)
        XCTAssertTrue(w.stdout.contains("model: resnet 32x32 3-4-8-16, 1 block(s) per resolution -> 64"), w.stdout)
        XCTAssertTrue(w.stdout.contains("training: lr 0.001 cosine"), w.stdout)

        let plain = Fixtures.temporaryDirectory() + "/plain"
        let p = try run(["train", "--data", folder, "--likelihood", "gaussian", "--epochs", "1", "--batch", "4", "--arch", "conv", "--width", "4",
                         "--latent", "5", "--sigma", "learned", "--lr-schedule", "constant", "--warmup", "0", "--ema", "0", "--no-flip", "--out", plain])
        XCTAssertEqual(p.status, 0, p.stderr)
        XCTAssertTrue(p.stdout.contains("model: conv 32x32 3-4-8-16 -> 256 -> 5"), p.stdout)
        XCTAssertFalse(p.stdout.contains("training:"), p.stdout)

        let small = Fixtures.temporaryDirectory() + "/small"
        let q = try run(["train", "--data", folder, "--likelihood", "gaussian", "--size", "16", "--epochs", "1", "--batch", "4", "--out", small])
        XCTAssertEqual(q.status, 0, q.stderr)
        XCTAssertTrue(q.stdout.contains("model: mlp 768-400-20"), q.stdout)
        XCTAssertFalse(q.stdout.contains("training:"), q.stdout)
    }
}

import Foundation
import VAEPipeTestSupport
import XCTest

/// `vaepipe` on messy image folders: inspect, bad-file policies, streaming, non-square sizes.
final class ImageFolderCLITests: CLITestCase {
    var mixed: String { Fixtures.samples + "/mixed-folder" }

    func testInspectReportsFormatsLabelsAndSkipsWithoutTraining() throws {
        let r = try run(["inspect", "--data", mixed, "--size", "16"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for line in ["formats: PNG 6, JPEG 2, JPEG (progressive) 1", "labels: 2 classes from sub-folders: more 5, shapes 4",
                     "as training data: 16x16x3", "usable: 8 images", "would skip 3 file(s):",
                     "more/empty.png: empty file", "more/truncated.png: truncated PNG data",
                     "square-really-a-png.jpg is a PNG"] {
            XCTAssertTrue(r.stdout.contains(line), "missing '\(line)' in:\n\(r.stdout)")
        }
        XCTAssertTrue(r.stdout.contains("decoded 9 images to 16x16x3 Float32"), r.stdout)

        // With a held-out split, both splits are read and counted.
        let split = try run(["inspect", "--data", mixed, "--size", "16", "--test-fraction", "0.4"])
        XCTAssertEqual(split.status, 0, split.stderr)
        for line in ["decoded 9 images to 16x16x3 Float32", "usable: 8 images", " test with readable headers"] {
            XCTAssertTrue(split.stdout.contains(line), "missing '\(line)' in:\n\(split.stdout)")
        }

        let quick = try run(["inspect", "--data", mixed, "--headers-only"])
        XCTAssertEqual(quick.status, 0, quick.stderr)
        XCTAssertTrue(quick.stdout.contains("usable: 9 images by their headers"), quick.stdout)
        XCTAssertFalse(quick.stdout.contains("decoded"), quick.stdout)
    }

    func testOnBadFileFailStopsTrainingNamingTheFile() throws {
        let out = Fixtures.temporaryDirectory() + "/run"
        let r = try run(["train", "--data", mixed, "--on-bad-file", "fail", "--size", "8", "--epochs", "1", "--out", out])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains(mixed + "/more/empty.png: empty file (stopped by --on-bad-file fail"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
    }

    func testStreamedTrainingListsFilesFoundBrokenMidRun() throws {
        let out = Fixtures.temporaryDirectory() + "/run"
        let r = try run(["train", "--data", mixed, "--cache", "none", "--workers", "2", "--size", "8", "--epochs", "1",
                         "--batch", "4", "--latent", "2", "--hidden", "8", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("streaming: every epoch decodes its images again on 2 worker(s) (--cache none)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("skipped 3 unreadable file(s) in all"), r.stdout)
        let skipped = try String(contentsOfFile: out + "/skipped.txt", encoding: .utf8)
        XCTAssertEqual(skipped.split(separator: "\n").map { $0.split(separator: "\t")[0].split(separator: "/").last! },
                       ["empty.png", "garbage.jpg", "truncated.png"])
    }

    func testACacheLimitTooSmallForTheFolderStreamsAndSaysWhy() throws {
        let out = Fixtures.temporaryDirectory() + "/run"
        let r = try run(["train", "--data", mixed + "/shapes", "--size", "8", "--cache-limit", "512", "--epochs", "1",
                         "--batch", "2", "--latent", "2", "--hidden", "8", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("(768 bytes decoded would exceed --cache-limit 512 bytes)"), r.stdout)
        let cached = try run(["train", "--data", mixed + "/shapes", "--size", "8", "--cache-limit", "1K", "--epochs", "1",
                              "--batch", "2", "--latent", "2", "--hidden", "8", "--out", out + "2"])
        XCTAssertTrue(cached.stdout.contains("decoded 4 images into memory (768 bytes)"), cached.stdout)
        XCTAssertNotEqual(try run(["inspect", "--data", mixed, "--cache-limit", "lots"]).status, 0)
    }

    /// `--test-fraction`: the folder's held-out split is scored every epoch, and `evaluate` on the
    /// run scores the same split without being told the fraction again.
    func testTestFractionHoldsOutImagesThatEvaluateScoresAgain() throws {
        let out = Fixtures.temporaryDirectory()
        let r = try run(["train", "--data", mixed, "--test-fraction", "0.4", "--size", "8", "--epochs", "1",
                         "--batch", "2", "--latent", "2", "--hidden", "8", "--out", out + "/run"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let note = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.contains("held out") }, r.stdout)
        let heldOut = Int(note.split(separator: " ")[2])!
        // 8 of the 9 files decode.
        XCTAssertTrue(r.stdout.contains("\(8 - heldOut) training images, \(heldOut) test images"), r.stdout)
        XCTAssertTrue(r.stdout.contains("test neg-ELBO"), r.stdout)
        let e = try run(["evaluate", "--run", out + "/run", "--data", mixed])
        XCTAssertEqual(e.status, 0, e.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(json["split"] as? String, "test")
        XCTAssertEqual(json["examples"] as? Int, heldOut)
        XCTAssertNotEqual(try run(["train", "--data", mixed, "--test-fraction", "1", "--out", out + "/no"]).status, 0)
    }

    func testNonSquareSizeTrainsAndReconstructsAtTheModelsSize() throws {
        let out = Fixtures.temporaryDirectory()
        let r = try run(["train", "--data", mixed + "/shapes", "--size", "12x8", "--resize", "fit", "--background", "black",
                         "--epochs", "1", "--batch", "2", "--latent", "2", "--hidden", "8", "--out", out + "/run"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("4 training images, 12x8x3"), r.stdout)
        let rec = try run(["reconstruct", "--run", out + "/run", "--data", mixed + "/shapes", "--count", "2", "--out", out + "/r.png"])
        XCTAssertEqual(rec.status, 0, rec.stderr)
        let wrong = try run(["reconstruct", "--run", out + "/run", "--data", mixed + "/shapes", "--size", "8", "--out", out + "/r2.png"])
        XCTAssertNotEqual(wrong.status, 0)
        XCTAssertTrue(wrong.stderr.contains("images are 8x8x3 but the model was trained on 12x8x3"), wrong.stderr)
    }

    func testBadDataOptionsAreRejectedBeforeAnyWork() throws {
        for (args, needle) in [(["--size", "3"], "--size"), (["--size", "64x"], "--size"), (["--channels", "2"], "--channels"),
                               (["--background", "mauve"], "--background"), (["--cache", "disk"], "--cache"),
                               (["--workers", "0"], "--workers")] {
            let r = try run(["inspect", "--data", mixed] + args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(needle), "\(args): \(r.stderr)")
        }
    }
}

import Foundation
import VAEPipeCore
import VAEPipeTestSupport
import XCTest

/// Interruptions (Ctrl-C, SIGTERM, kill -9), resuming, divergence and the log formats, on
/// tiny data through the real binary.
final class RunLifecycleTests: CLITestCase {
    lazy var data = Fixtures.idxDirectory(train: 1200, test: 64, side: 8)

    func trainArgs(_ dir: String, epochs: Int) -> [String] {
        ["train", "--data", data, "--epochs", "\(epochs)", "--batch", "16", "--latent", "3", "--hidden", "48",
         "--lr", "0.005", "--binarize", "dynamic", "--out", dir]
    }

    /// Every tensor of a run's checkpoint (weights, Adam moments, gallery statistics).
    func tensors(_ dir: String) throws -> [String: [Float]] {
        let ckpt = try Checkpoint.read(from: dir + "/model.safetensors")
        return Dictionary(uniqueKeysWithValues: ckpt.tensors.map { ($0.name, $0.values) })
    }

    func losses(_ dir: String) throws -> [Double] {
        try String(contentsOfFile: dir + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }.map { $0["train_loss"] as! Double }
    }

    func reference(epochs: Int) throws -> String {
        let dir = Fixtures.temporaryDirectory() + "/reference"
        let r = try run(trainArgs(dir, epochs: epochs))
        XCTAssertEqual(r.status, 0, r.stderr)
        return dir
    }

    func interruptMidRun(with signal: Int32, expecting code: Int32) throws {
        let epochs = 8
        let ref = try reference(epochs: epochs)
        let dir = Fixtures.temporaryDirectory() + "/run"
        let p = try start(trainArgs(dir, epochs: epochs))
        // After the first epoch's metrics: somewhere in the middle of the run.
        XCTAssertTrue(waitFor(60) { (try? self.losses(dir).count) ?? 0 >= 1 })
        kill(p.processIdentifier, signal)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, code)
        let ckpt = try Checkpoint.read(from: dir + "/model.safetensors")
        let state = try XCTUnwrap(try ckpt.trainingState(path: dir))
        XCTAssertLessThanOrEqual(state.epoch, epochs, "the run finished before the signal; make it longer")

        let r = try run(["train", "--resume", dir])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("resuming \(dir) at epoch \(state.epoch), step \(state.step)"), r.stdout)
        XCTAssertEqual(try tensors(dir), try tensors(ref))
        XCTAssertEqual(try losses(dir), try losses(ref))
    }

    func testCtrlCSavesACheckpointExits130AndResumesBitIdentically() throws {
        try interruptMidRun(with: SIGINT, expecting: 130)
    }

    func testSIGTERMSavesACheckpointAndExits143() throws {
        try interruptMidRun(with: SIGTERM, expecting: 143)
    }

    /// kill -9 at random instants, 20 times over one run: after each kill the directory holds a
    /// checkpoint that reads whole and metrics that parse; resuming each time, the run still
    /// ends with exactly the weights of a run that was never killed.
    func testKill9AtRandomPointsNeverLeavesAPartialFileAndResumeStillMatches() throws {
        let epochs = 6
        let ref = try reference(epochs: epochs)
        let dir = Fixtures.temporaryDirectory() + "/run"
        var rng = SystemRandomNumberGenerator()
        var kills = 0
        for trial in 0..<20 {
            // Killed before run.json existed, there is nothing to resume: start again.
            let started = FileManager.default.fileExists(atPath: dir + "/run.json")
            let args = started ? ["train", "--resume", dir] : trainArgs(dir, epochs: epochs)
            let p = try start(args)
            usleep(UInt32.random(in: 20_000...400_000, using: &rng))
            if p.isRunning { kill(p.processIdentifier, SIGKILL); kills += 1 }
            p.waitUntilExit()
            if FileManager.default.fileExists(atPath: dir + "/model.safetensors") {
                XCTAssertNoThrow(try Checkpoint.read(from: dir + "/model.safetensors"), "trial \(trial)")
            }
            if FileManager.default.fileExists(atPath: dir + "/metrics.jsonl") {
                XCTAssertNoThrow(try losses(dir), "trial \(trial)")
            }
        }
        XCTAssertGreaterThan(kills, 0)
        let started = FileManager.default.fileExists(atPath: dir + "/run.json")
        let r = try run(started ? ["train", "--resume", dir] : trainArgs(dir, epochs: epochs))
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try tensors(dir), try tensors(ref))
        XCTAssertEqual(try losses(dir), try losses(ref))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains("tmp") }
        XCTAssertEqual(leftovers, [])
    }

    func testResumeCanExtendARunButNotChangeItsSettings() throws {
        let dir = Fixtures.temporaryDirectory() + "/run"
        XCTAssertEqual(try run(trainArgs(dir, epochs: 1)).status, 0)
        let again = try run(["train", "--resume", dir])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("already trained 1 epochs"), again.stdout)

        let changed = try run(["train", "--resume", dir, "--lr", "0.1"])
        XCTAssertNotEqual(changed.status, 0)
        XCTAssertTrue(changed.stderr.contains("--lr cannot be changed"), changed.stderr)

        let longer = try run(["train", "--resume", dir, "--epochs", "2"])
        XCTAssertEqual(longer.status, 0, longer.stderr)
        XCTAssertEqual(try losses(dir).count, 2)
        let info = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/run.json"))) as! [String: Any]
        XCTAssertEqual((info["options"] as? [String: Any])?["epochs"] as? Int, 2)
        XCTAssertEqual((info["resumed"] as? [String])?.count, 2)
        XCTAssertTrue((info["data_fingerprint"] as? String ?? "").hasPrefix("fnv1a64:"))
    }

    func testAFreshRunInAnOldRunsDirectoryReplacesItsEventFiles() throws {
        let dir = Fixtures.temporaryDirectory() + "/run"
        XCTAssertEqual(try run(trainArgs(dir, epochs: 1)).status, 0)
        XCTAssertEqual(try run(["train", "--resume", dir, "--epochs", "2"]).status, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/tb").count, 2)
        XCTAssertEqual(try run(trainArgs(dir, epochs: 1)).status, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/tb").count, 1)
        XCTAssertEqual(try losses(dir).count, 1)
    }

    func testResumeOfSomethingThatIsNotARunNamesIt() throws {
        let dir = Fixtures.temporaryDirectory()
        let r = try run(["train", "--resume", dir])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains(dir + "/run.json"), r.stderr)
    }

    func testDivergingRunStopsNamingEpochAndStepAndKeepsItsCheckpoint() throws {
        let dir = Fixtures.temporaryDirectory() + "/run"
        var args = trainArgs(dir, epochs: 2)
        args[args.firstIndex(of: "0.005")!] = "1e30"
        let r = try run(args)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("diverged"), r.stderr)
        XCTAssertTrue(r.stderr.contains("at epoch 1, step"), r.stderr)
        XCTAssertTrue(r.stderr.contains(dir + "/model.safetensors"), r.stderr)
        XCTAssertNoThrow(try Checkpoint.read(from: dir + "/model.safetensors"))
    }

    func testJSONLogIsOneObjectPerLineAndQuietPrintsNothing() throws {
        let dir = Fixtures.temporaryDirectory() + "/run"
        let r = try run(trainArgs(dir, epochs: 2) + ["--log-format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let events = try r.stdout.split(separator: "\n").map {
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        XCTAssertEqual(events.compactMap { $0["event"] as? String }.filter { $0 == "epoch" }.count, 2)
        XCTAssertNotNil(events.first { $0["event"] as? String == "epoch" }?["train_loss"] as? Double)

        let q = try run(trainArgs(Fixtures.temporaryDirectory() + "/q", epochs: 1) + ["--quiet"])
        XCTAssertEqual(q.status, 0, q.stderr)
        XCTAssertEqual(q.stdout, "")
    }
}

import Foundation
import VAEPipeCore
import VAEPipeTestSupport
import XCTest

/// `mpirun -np N vaepipe train` against a single process on the same data and global batch.
final class MPITests: CLITestCase {
    func mpirun(_ ranks: Int, _ args: [String], extra: [String] = []) throws -> Result {
        guard let mpirun = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("Open MPI is not installed (Debian: apt-get install libopenmpi-dev openmpi-bin); the MPI tests need mpirun")
        }
        // CI runs as root; one thread per rank, as on a node with as many ranks as cores.
        return try run(at: mpirun, ["-np", "\(ranks)", "--oversubscribe"] + extra + [binary.path] + args,
                       environment: ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "VAEPIPE_THREADS": "1"])
    }

    func metrics(_ run: String) throws -> [[String: Any]] {
        try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    /// 2 and 3 ranks (3 does not divide the batch of 16, nor the last batch of 8): every epoch's
    /// train loss and test neg-ELBO as one process's, to float summation order.
    func testRanksTrainAsOneProcessDoes() throws {
        let data = Fixtures.idxDirectory(train: 72, test: 24, side: 8)
        let args = ["train", "--data", data, "--epochs", "3", "--batch", "16", "--latent", "2", "--hidden", "16", "--lr", "0.01"]
        let single = Fixtures.temporaryDirectory() + "/single"
        let alone = try run(args + ["--out", single])
        XCTAssertEqual(alone.status, 0, alone.stderr)
        for ranks in [2, 3] {
            let dir = Fixtures.temporaryDirectory() + "/ranks\(ranks)"
            let r = try mpirun(ranks, args + ["--out", dir])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("MPI: \(ranks) ranks"), r.stdout)
            XCTAssertEqual(r.stdout.components(separatedBy: "epoch 3/3  train loss").count, 2, "rank 0 alone prints: \(r.stdout)")
            let a = try metrics(single), b = try metrics(dir)
            XCTAssertEqual(a.count, 3); XCTAssertEqual(b.count, 3)
            for (x, y) in zip(a, b) {
                for key in ["train_loss", "test_neg_elbo"] {
                    let u = x[key] as! Double, v = y[key] as! Double
                    XCTAssertEqual(u, v, accuracy: 1e-4 * abs(u), "\(ranks) ranks, epoch \(x["epoch"]!), \(key)")
                }
            }
            // The checkpoint rank 0 wrote serves a single process.
            XCTAssertEqual(try run(["sample", "--run", dir, "--count", "4", "--out", dir + "/s.png"]).status, 0)
        }
    }

    /// Gradients summed in 8 parts: 2 and 4 ranks end with one process's weights and Adam
    /// moments bit for bit, and the same per-epoch figures; by default, 2 ranks sum in 2 parts.
    /// Each epoch ends with a batch of one row, which leaves some ranks none.
    func testRanksEndWithOneProcesssWeightsBitForBit() throws {
        let data = Fixtures.idxDirectory(train: 61, test: 24, side: 8)
        let args = ["train", "--data", data, "--epochs", "2", "--batch", "20", "--latent", "2", "--hidden", "16", "--lr", "0.01"]
        let single = Fixtures.temporaryDirectory() + "/single"
        let alone = try run(args + ["--out", single, "--gradient-parts", "8"])
        XCTAssertEqual(alone.status, 0, alone.stderr)
        let expected = try Checkpoint.read(from: single + "/model.safetensors")
        for ranks in [2, 4] {
            let dir = Fixtures.temporaryDirectory() + "/ranks\(ranks)"
            let r = try mpirun(ranks, args + ["--out", dir, "--gradient-parts", "8"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("gradients summed in 8 parts"), r.stdout)
            let got = try Checkpoint.read(from: dir + "/model.safetensors")
            XCTAssertEqual(got.tensors.map(\.name), expected.tensors.map(\.name))
            for (a, b) in zip(got.tensors, expected.tensors) {
                XCTAssertTrue(a.values.map(\.bitPattern) == b.values.map(\.bitPattern), "\(ranks) ranks: \(a.name) differs")
            }
            let m = try metrics(dir), n = try metrics(single)
            for (x, y) in zip(m, n) { XCTAssertEqual(x["train_loss"] as! Double, y["train_loss"] as! Double, accuracy: 1e-9) }
        }
        let r = try mpirun(2, args + ["--out", Fixtures.temporaryDirectory() + "/default"])
        XCTAssertTrue(r.stdout.contains("gradients summed in 2 parts"), r.stdout)
    }

    /// The hierarchy (its learned constant, every group's KL, the posterior and prior nets) in
    /// parts: 2 ranks end with one process's weights bit for bit, with clipping and skipping
    /// measuring the whole gradient's norm, the gaussian head's optimal sigma fitted to the whole
    /// batch, and the same per-group figures.
    func testHierarchyRanksEndWithOneProcesssWeightsBitForBit() throws {
        // IDX, not a folder: under mpirun a folder streams, and finds a broken file only when an
        // epoch reaches it (one process, caching, leaves it out from the start). The optimal
        // sigma of each batch is fitted to the whole batch, summed part by part over the ranks.
        let data = Fixtures.idxDirectory(train: 22, test: 8, side: 16)
        let args = ["train", "--data", data, "--arch", "hvae", "--blocks", "1",
                    "--width", "4", "--latent", "2", "--likelihood", "gaussian", "--sigma", "optimal", "--batch", "8", "--epochs", "2", "--lr", "0.01",
                    "--ema", "0.9", "--flip", "--clip-grad", "50", "--skip-grad", "1e6", "--gradient-parts", "4"]
        let single = Fixtures.temporaryDirectory() + "/single"
        let alone = try run(args + ["--out", single])
        XCTAssertEqual(alone.status, 0, alone.stderr)
        let dir = Fixtures.temporaryDirectory() + "/ranks2"
        let r = try mpirun(2, args + ["--out", dir])
        XCTAssertEqual(r.status, 0, r.stderr)
        let expected = try Checkpoint.read(from: single + "/model.safetensors"), got = try Checkpoint.read(from: dir + "/model.safetensors")
        XCTAssertEqual(got.tensors.map(\.name), expected.tensors.map(\.name))
        for (a, b) in zip(got.tensors, expected.tensors) {
            XCTAssertTrue(a.values.map(\.bitPattern) == b.values.map(\.bitPattern), "2 ranks: \(a.name) differs")
        }
        let m = try metrics(dir), n = try metrics(single)
        XCTAssertEqual(m.count, 2)
        for (x, y) in zip(m, n) {
            XCTAssertEqual(x["train_loss"] as! Double, y["train_loss"] as! Double, accuracy: 1e-9)
            XCTAssertEqual(x["active_units_groups"] as? [Int], y["active_units_groups"] as? [Int])
            for (u, v) in zip(x["test_kl_groups"] as! [Double], y["test_kl_groups"] as! [Double]) { XCTAssertEqual(u, v, accuracy: 1e-6 * max(1, abs(v))) }
        }
    }

    /// A rank that fails ends the whole job with one line naming it, without hanging.
    func testAFailingRankEndsTheJobAndNamesItself() throws {
        let dir = Fixtures.temporaryDirectory()
        let r = try mpirun(2, ["train", "--data", dir + "/missing", "--out", dir + "/run"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("rank 0 of 2") || r.stderr.contains("rank 1 of 2"), r.stderr)
        XCTAssertTrue(r.stderr.contains("missing: no such file or directory"), r.stderr)
    }
}

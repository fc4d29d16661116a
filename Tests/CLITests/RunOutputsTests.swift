import Foundation
import VAEPipeTestSupport
import XCTest

/// What a run leaves for other tools, read back by them: TensorBoard events, the HTML report,
/// the safetensors checkpoint and `vaepipe encode`'s .npy files.
final class RunOutputsTests: CLITestCase {
    static let data = Fixtures.idxDirectory(train: 96, test: 16, side: 8)
    nonisolated(unsafe) static var trained: String?

    /// One 3-epoch run shared by the tests here.
    func runDirectory() throws -> String {
        if let dir = Self.trained { return dir }
        let dir = Fixtures.temporaryDirectory() + "/run"
        let r = try run(["train", "--data", Self.data, "--epochs", "3", "--batch", "16", "--latent", "2",
                         "--hidden", "32", "--lr", "0.01", "--out", dir])
        XCTAssertEqual(r.status, 0, r.stderr)
        Self.trained = dir
        return dir
    }

    func testTensorBoardReadsEveryEpochsScalarsAndGalleries() throws {
        let dir = try runDirectory()
        let events = try FileManager.default.contentsOfDirectory(atPath: dir + "/tb")
        XCTAssertEqual(events.count, 1)
        XCTAssertTrue(events[0].hasPrefix("events.out.tfevents."), "\(events)")
        let read = try PythonReader.run("""
            import json, sys
            from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
            acc = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0, "images": 0})
            acc.Reload()
            tags = acc.Tags()
            print(json.dumps({"scalars": sorted(tags["scalars"]), "images": sorted(tags["images"]),
                              "loss": [[e.step, e.value] for e in acc.Scalars("train/loss")],
                              "samples": [[e.step, e.width, e.height] for e in acc.Images("galleries/samples")]}))
            """, arguments: [dir + "/tb"], needs: ["tensorboard"]) as! [String: Any]
        let scalars = read["scalars"] as! [String]
        for tag in ["train/loss", "train/reconstruction", "train/kl", "test/neg_elbo", "learning_rate", "examples_per_second"] {
            XCTAssertTrue(scalars.contains(tag), "\(tag) missing from \(scalars)")
        }
        XCTAssertEqual(read["images"] as? [String], ["galleries/interpolations", "galleries/latent-map", "galleries/manifold", "galleries/reconstructions", "galleries/samples", "galleries/traversals"])
        let loss = read["loss"] as! [[Double]]
        XCTAssertEqual(loss.map { Int($0[0]) }, [1, 2, 3])
        let metrics = try String(contentsOfFile: dir + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map {
            (try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["train_loss"] as! Double }
        for (logged, expected) in zip(loss.map { $0[1] }, metrics) { XCTAssertEqual(logged, expected, accuracy: 1e-3 * expected) }
        XCTAssertEqual((read["samples"] as! [[Int]]).map { $0[0] }, [1, 2, 3])
    }

    func testReportIsOnePageWithCurvesGalleriesAndSettings() throws {
        let dir = try runDirectory()
        let html = try String(contentsOfFile: dir + "/index.html", encoding: .utf8)
        let page = PageElements(html)
        XCTAssertNil(page.error)
        let images = page.named("img").compactMap { $0.attributes["src"] }
        XCTAssertEqual(images.count, 6)  // reconstructions, samples, traversals, interpolations, manifold (the latent is 2-D), latent map
        XCTAssertTrue(images.allSatisfy { $0.hasPrefix("data:image/png;base64,") })
        XCTAssertGreaterThanOrEqual(page.named("svg").count, 1)
        XCTAssertFalse(html.contains("http://") && html.contains("src=\"http"), "the page must not load anything")
        let cells = page.named("td").map(\.text) + page.named("th").map(\.text)
        XCTAssertTrue(cells.contains("lr"), "settings table lacks lr")
        XCTAssertTrue(cells.contains("0.01"), "settings table lacks the lr value")
    }

    func testSafetensorsPackageReadsTheRunsWeights() throws {
        let dir = try runDirectory()
        let read = try PythonReader.run("""
            import json, sys
            from safetensors.numpy import load_file
            from safetensors import safe_open
            t = load_file(sys.argv[1])
            with safe_open(sys.argv[1], framework="numpy") as f: meta = f.metadata()
            w = t["encoder.0.weight"]
            print(json.dumps({"shape": list(w.shape), "first": [float(v) for v in w.reshape(-1)[:5]],
                              "head": meta["head"], "epoch": json.loads(meta["training_state"])["epoch"]}))
            """, arguments: [dir + "/model.safetensors"], needs: ["safetensors", "numpy"]) as! [String: Any]
        XCTAssertEqual(read["shape"] as? [Int], [64, 32])
        XCTAssertEqual(read["head"] as? String, "bernoulli")
        XCTAssertEqual(read["epoch"] as? Int, 4)
        let header = try XCTUnwrap(FileManager.default.contents(atPath: dir + "/model.safetensors"))
        let n = header.prefix(8).withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        let json = try JSONSerialization.jsonObject(with: header.subdata(in: 8..<(8 + n))) as! [String: Any]
        let start = ((json["encoder.0.weight"] as! [String: Any])["data_offsets"] as! [Int])[0] + 8 + n
        let ours = header.subdata(in: start..<(start + 20)).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        XCTAssertEqual((read["first"] as! [Double]).map { Float($0) }, ours)
    }

    func testEncodeWritesLatentsAndLabelsNumpyLoads() throws {
        let dir = try runDirectory()
        let out = Fixtures.temporaryDirectory()
        let r = try run(["encode", "--run", dir, "--data", Self.data, "--split", "train", "--out", out + "/latents.npy"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("96 x 2 posterior means"), r.stdout)
        let read = try PythonReader.run("""
            import json, sys
            import numpy as np
            z = np.load(sys.argv[1]); y = np.load(sys.argv[2])
            print(json.dumps({"shape": list(z.shape), "dtype": str(z.dtype), "finite": bool(np.isfinite(z).all()),
                              "spread": float(z.std()), "labels": [int(v) for v in y], "ldtype": str(y.dtype)}))
            """, arguments: [out + "/latents.npy", out + "/labels.npy"], needs: ["numpy"]) as! [String: Any]
        XCTAssertEqual(read["shape"] as? [Int], [96, 2])
        XCTAssertEqual(read["dtype"] as? String, "float32")
        XCTAssertEqual(read["finite"] as? Bool, true)
        XCTAssertGreaterThan(read["spread"] as! Double, 0.01)
        XCTAssertEqual(read["labels"] as? [Int], (0..<96).map { $0 % 4 })
        XCTAssertEqual(read["ldtype"] as? String, "int64")

        let all = try run(["encode", "--run", dir, "--data", Self.data, "--out", out + "/all.npy"])
        XCTAssertEqual(all.status, 0, all.stderr)
        XCTAssertTrue(all.stdout.contains("112 x 2"), all.stdout)
    }
}

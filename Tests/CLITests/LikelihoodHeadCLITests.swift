import Foundation
import VAEPipeCore
import VAEPipeTestSupport
import XCTest

/// The gaussian head's sigma modes and the logistic head through the real binary: trained,
/// evaluated with --iwae from their checkpoints, and resumed to the bits of a run never stopped.
final class LikelihoodHeadCLITests: CLITestCase {
    lazy var data = Fixtures.idxDirectory(train: 48, test: 16, side: 8)
    let values = 64  // 8x8x1

    func trainArgs(_ head: [String], _ dir: String, epochs: Int) -> [String] {
        ["train", "--data", data, "--epochs", "\(epochs)", "--batch", "16", "--latent", "2", "--hidden", "16",
         "--lr", "0.01", "--out", dir] + head
    }

    func tensors(_ dir: String) throws -> [String: [Float]] {
        let ckpt = try Checkpoint.read(from: dir + "/model.safetensors")
        return Dictionary(uniqueKeysWithValues: ckpt.tensors.map { ($0.name, $0.values) })
    }

    func metrics(_ dir: String) throws -> [[String: Any]] {
        try String(contentsOfFile: dir + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    /// Trains `head` for one epoch, checks what the run recorded and what `evaluate --iwae 5`
    /// makes of its checkpoint, then resumes it to a second epoch: the same tensors and losses
    /// as two epochs straight. Returns the run directory.
    @discardableResult
    func trainEvaluateResume(_ head: [String], sigma: GaussianSigma?, parameters expected: [String: [Int]],
                             file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let dir = Fixtures.temporaryDirectory() + "/run"
        let r = try run(trainArgs(head, dir, epochs: 1))
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        XCTAssertTrue(r.stdout.contains("head \(head[1])"), r.stdout, file: file, line: line)

        let ckpt = try Checkpoint.read(from: dir + "/model.safetensors")
        XCTAssertEqual(ckpt.config.headOptions, HeadOptions(sigma: sigma, dimension: values), file: file, line: line)
        let heads = ckpt.tensors.filter { $0.name.hasPrefix("head.") }
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: heads.map { ($0.name, $0.shape) }), expected, file: file, line: line)
        let info = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/run.json"))) as! [String: Any]
        XCTAssertEqual((info["options"] as? [String: Any])?["sigma"] as? String, sigma?.description, file: file, line: line)

        let e = try run(["evaluate", "--run", dir, "--data", data, "--iwae", "5"])
        XCTAssertEqual(e.status, 0, e.stderr, file: file, line: line)
        let json = try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as! [String: Any]
        let logLikelihood = try XCTUnwrap(json["log_likelihood"] as? Double), elbo = try XCTUnwrap(json["elbo_sampled"] as? Double)
        let bits = try XCTUnwrap(json["bits_per_dim"] as? Double), dequantization = try XCTUnwrap(json["dequantization_nats"] as? Double)
        // log of a mean of weights is at least the mean of their logs.
        XCTAssertGreaterThanOrEqual(logLikelihood, elbo, file: file, line: line)
        XCTAssertEqual(dequantization, head[1] == "logistic" ? 0 : Double(values) * log(256), accuracy: 1e-9, file: file, line: line)
        XCTAssertEqual(bits, (dequantization - logLikelihood) / (Double(values) * M_LN2), accuracy: 1e-9, file: file, line: line)
        XCTAssertTrue(bits > 0 && bits < 16, "bits/dim \(bits)", file: file, line: line)
        // The checkpoint scores the test set as the run did after its epoch (for the optimal
        // sigma: the sigma it kept, not one fitted to the test data).
        let neg = try XCTUnwrap(json["neg_elbo"] as? Double)
        XCTAssertEqual(neg, try metrics(dir)[0]["test_neg_elbo"] as! Double, accuracy: 1e-3, file: file, line: line)

        let resumed = try run(["train", "--resume", dir, "--epochs", "2"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr, file: file, line: line)
        let straight = Fixtures.temporaryDirectory() + "/straight"
        XCTAssertEqual(try run(trainArgs(head, straight, epochs: 2)).status, 0, file: file, line: line)
        XCTAssertEqual(try tensors(dir), try tensors(straight), file: file, line: line)
        let losses = { (d: String) in try self.metrics(d).map { [$0["train_loss"] as! Double, $0["test_neg_elbo"] as! Double] } }
        XCTAssertEqual(try losses(dir), try losses(straight), file: file, line: line)
        XCTAssertEqual(try losses(dir).count, 2, file: file, line: line)
        return dir
    }

    func testGaussianOptimalSigmaTrainsEvaluatesAndResumes() throws {
        let dir = try trainEvaluateResume(["--likelihood", "gaussian", "--sigma", "optimal"], sigma: .optimal,
                                          parameters: ["head.log_sigma": [1]])
        // The sigma of the last training batch, fitted (not the initial 1) and above the floor.
        let sigma = exp(try XCTUnwrap(try tensors(dir)["head.log_sigma"]?.first))
        XCTAssertTrue(sigma > 1e-3 && sigma < 0.9, "stored sigma \(sigma)")
    }

    func testGaussianPixelSigmaTrainsEvaluatesAndResumes() throws {
        try trainEvaluateResume(["--likelihood", "gaussian", "--sigma", "pixel"], sigma: .pixel,
                                parameters: ["head.log_sigma": [values]])
    }

    func testGaussianFixedSigmaTrainsEvaluatesAndResumes() throws {
        try trainEvaluateResume(["--likelihood", "gaussian", "--sigma", "1"], sigma: .fixed(1), parameters: [:])
    }

    func testLogisticTrainsEvaluatesAndResumes() throws {
        try trainEvaluateResume(["--likelihood", "logistic"], sigma: nil, parameters: ["head.log_scale": [values]])
    }

    func testSigmaWithAnotherHeadIsOneClearError() throws {
        let r = try run(["train", "--data", data, "--likelihood", "logistic", "--sigma", "optimal", "--out", Fixtures.temporaryDirectory() + "/r"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "Error: --sigma is an option of the gaussian head; the logistic head has no sigma\n")
        let bad = try run(["train", "--data", data, "--likelihood", "gaussian", "--sigma", "0", "--out", Fixtures.temporaryDirectory() + "/r"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("learned, optimal, pixel or a fixed sigma of at least 0.001"), bad.stderr)
    }
}

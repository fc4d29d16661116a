import Foundation
import VAEPipeBuiltinPlugins
import VAEPipeTestSupport
import XCTest

final class CheckpointTests: XCTestCase {
    func makeModel(_ head: any LikelihoodHead) -> VAE {
        let m = VAE(config: ModelConfig(shape: ImageShape(height: 3, width: 3, channels: 1), hidden: 5, latent: 2,
                                        head: type(of: head).id), head: head, capacity: 4)
        m.initialize(seed: 8)
        return m
    }

    func testRoundTripRestoresEveryParameterAndTheConfig() throws {
        let model = makeModel(try GaussianHead(options: HeadOptions()))
        model.parameters.values[model.parameters.count - 1] = -1.25  // the head's log sigma
        let path = Fixtures.temporaryDirectory() + "/m.safetensors"
        try Checkpoint(model: model, extra: [.init(name: "stats.x", shape: [2], values: [1, 2])]).write(to: path)
        let (loaded, ckpt) = try VAE.load(contentsOf: path, registry: BuiltinPlugins.registry(), capacity: 2)
        XCTAssertEqual(loaded.config, model.config)
        XCTAssertEqual(loaded.parameters.values.array, model.parameters.values.array)
        XCTAssertEqual(ckpt.tensor("stats.x")?.values, [1, 2])
        XCTAssertEqual(ckpt.metadata["head"], "gaussian")
    }

    func testFileIsSafetensorsLayout() throws {
        let model = makeModel(BernoulliHead(options: HeadOptions()))
        let data = try Checkpoint(model: model).encoded()
        let n = data.prefix(8).withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        XCTAssertEqual(n % 8, 0)
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as! [String: Any]
        let w = header["encoder.0.weight"] as! [String: Any]
        XCTAssertEqual(w["dtype"] as? String, "F32")
        XCTAssertEqual(w["shape"] as? [Int], [9, 5])
        XCTAssertEqual(data.count, 8 + n + 4 * model.parameters.count)
    }

    func testTruncatedCheckpointIsReportedWithItsPath() throws {
        let model = makeModel(BernoulliHead(options: HeadOptions()))
        let data = try Checkpoint(model: model).encoded()
        let path = Fixtures.temporaryDirectory() + "/cut.safetensors"
        _ = FileManager.default.createFile(atPath: path, contents: data.prefix(data.count - 10))
        XCTAssertThrowsError(try Checkpoint.read(from: path)) { error in
            XCTAssertTrue("\(error)".hasPrefix(path + ": not a usable checkpoint"), "\(error)")
        }
    }

    func testOverwriteIsAtomicAndLeavesNoTemporaryFiles() throws {
        let dir = Fixtures.temporaryDirectory()
        let path = dir + "/m.safetensors"
        let model = makeModel(BernoulliHead(options: HeadOptions()))
        try Checkpoint(model: model).write(to: path)
        model.parameters.values[0] = 42
        try Checkpoint(model: model).write(to: path)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["m.safetensors"])
        XCTAssertEqual(try Checkpoint.read(from: path).tensor("encoder.0.weight")?.values[0], 42)
    }
}

import Foundation
import XCTest
import VAEPipeImageCodecs
import VAEPipeTestSupport
@testable import VAEPipeCore

/// vaepipe's files read by the libraries people will read them with. Skipped, with a message,
/// where python3 or the library is missing.
final class PythonReaderTests: XCTestCase {
    func testTensorBoardReadsScalarsAndImagesAcrossAKillAndAResume() throws {
        let dir = Fixtures.temporaryDirectory() + "/tb"
        let image = RasterImage(width: 5, height: 3, channels: 3, pixels: (0..<45).map { UInt8($0 * 5) })
        let png = try PNGCodec.encode(image)

        // A run logs epochs 1-3, then is killed while writing epoch 4; its last checkpoint is epoch 2.
        let killed = try TensorBoardWriter(directory: dir)
        for epoch in 1...3 {
            killed.scalar("loss", 100 - Double(epoch), step: epoch)
            if epoch == 2 { killed.image("samples", png: png, width: 5, height: 3, channels: 3, step: epoch) }
            try killed.flush()
        }
        try killed.close()
        var torn: [UInt8] = []
        TFRecord.append(TensorBoardEvent.scalar("loss", 96, step: 4, wallTime: 0), to: &torn)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: killed.path))
        handle.seekToEndOfFile()
        handle.write(Data(torn.prefix(torn.count / 2)))
        handle.closeFile()

        // Resumed from the epoch-2 checkpoint, it logs epochs 3 and 4 again.
        let resumed = try TensorBoardWriter(directory: dir, resumingAt: 3)
        resumed.scalar("loss", 50, step: 3)
        resumed.scalar("loss", 40, step: 4)
        try resumed.close()

        // Both of TensorBoard's Python readers: the classic accumulator and the one behind the
        // `tensorboard --load_fast=false` server (which treats restarts differently).
        let read = try PythonReader.run("""
            import base64
            from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
            from tensorboard.backend.event_processing import plugin_event_accumulator
            acc = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0, "images": 0})
            acc.Reload()
            server = plugin_event_accumulator.EventAccumulator(sys.argv[1], size_guidance={"tensors": 0})
            server.Reload()
            print(json.dumps({
                "loss": [[e.step, e.value] for e in acc.Scalars("loss")],
                "server_loss": [[e.step, e.tensor_proto.float_val[0]] for e in server.Tensors("loss")],
                "images": [[e.step, e.width, e.height, base64.b64encode(e.encoded_image_string).decode()]
                           for e in acc.Images("samples")],
            }))
            """, arguments: [dir], needs: ["tensorboard"]) as? [String: Any]
        let expected: [[Double]] = [[1, 99], [2, 98], [3, 50], [4, 40]]
        XCTAssertEqual(read?["loss"] as? [[Double]], expected, "epoch 3 of the killed run is replaced by the resumed one")
        XCTAssertEqual(read?["server_loss"] as? [[Double]], expected)
        let images = try XCTUnwrap(read?["images"] as? [[Any]])
        XCTAssertEqual(images.count, 1)
        XCTAssertEqual(images.first?[0...2].compactMap { $0 as? Int }, [2, 5, 3])
        XCTAssertEqual((images.first?[3] as? String).flatMap { Data(base64Encoded: $0) }, Data(png))
    }

    func testNumpyLoadsLatentsAndLabels() throws {
        let dir = Fixtures.temporaryDirectory()
        let latents: [Float] = [0.5, -1.25, 3, 0.1, -0.0, 1e-20, 7, 8]
        try NPYFile.write(latents, shape: [4, 2], to: dir + "/latents.npy")
        try NPYFile.write([3, 1, 4, -1] as [Int64], shape: [4], to: dir + "/labels.npy")

        let read = try PythonReader.run("""
            import numpy as np
            z, y = np.load(sys.argv[1]), np.load(sys.argv[2])
            print(json.dumps({"z": [str(z.dtype), list(z.shape), z.ravel().tolist()],
                              "y": [str(y.dtype), list(y.shape), y.tolist()]}))
            """, arguments: [dir + "/latents.npy", dir + "/labels.npy"], needs: ["numpy"]) as? [String: [Any]]
        let z = try XCTUnwrap(read?["z"]), y = try XCTUnwrap(read?["y"])
        XCTAssertEqual(z[0] as? String, "float32")
        XCTAssertEqual(z[1] as? [Int], [4, 2])
        XCTAssertEqual((z[2] as? [Double])?.map(Float.init), latents)
        XCTAssertEqual(y[0] as? String, "int64")
        XCTAssertEqual(y[1] as? [Int], [4])
        XCTAssertEqual(y[2] as? [Int], [3, 1, 4, -1])
    }

    func testSafetensorsLoadsACheckpointsTensorsAndMetadata() throws {
        let path = Fixtures.temporaryDirectory() + "/model.safetensors"
        let config = ModelConfig(shape: ImageShape(height: 2, width: 2, channels: 1), hidden: 3, latent: 2, head: "bernoulli")
        let weight = (0..<12).map { Float($0) * 0.25 - 1 }
        try Checkpoint(config: config, tensors: [
            .init(name: "encoder.0.weight", shape: [4, 3], values: weight),
            .init(name: "stats.kl_per_dimension", shape: [2], values: [0.5, 0.001]),
        ], metadata: ["seed": "7"]).write(to: path)

        let read = try PythonReader.run("""
            from safetensors import safe_open
            from safetensors.numpy import load_file
            tensors = load_file(sys.argv[1])
            with safe_open(sys.argv[1], framework="numpy") as f:
                metadata = f.metadata()
            w = tensors["encoder.0.weight"]
            print(json.dumps({"names": sorted(tensors), "dtype": str(w.dtype), "shape": list(w.shape),
                              "weight": w.ravel().tolist(), "metadata": metadata}))
            """, arguments: [path], needs: ["safetensors", "numpy"]) as? [String: Any]
        XCTAssertEqual(read?["names"] as? [String], ["encoder.0.weight", "stats.kl_per_dimension"])
        XCTAssertEqual(read?["dtype"] as? String, "float32")
        XCTAssertEqual(read?["shape"] as? [Int], [4, 3])
        XCTAssertEqual((read?["weight"] as? [Double])?.map(Float.init), weight)
        let metadata = try XCTUnwrap(read?["metadata"] as? [String: String])
        XCTAssertEqual(metadata["seed"], "7")
        XCTAssertEqual(metadata["head"], "bernoulli")
        XCTAssertEqual(metadata["image_shape"], "2x2x1")
        XCTAssertEqual(metadata["vaepipe_version"], VAEPipeVersion.current)
        let stored = try JSONDecoder().decode(ModelConfig.self, from: Data(try XCTUnwrap(metadata["config"]).utf8))
        XCTAssertEqual(stored, config)
    }
}

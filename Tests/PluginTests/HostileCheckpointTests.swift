import Foundation
import VAEPipeBuiltinPlugins
import VAEPipeTestSupport
import XCTest

/// Checkpoints whose header lies, each loaded the way `sample`, `evaluate`, `encode` and
/// `--resume` load one (VAE.load(contentsOf:)): a one-line error naming the file and what is
/// wrong, never a crash or an allocation the file cannot back.
final class HostileCheckpointTests: XCTestCase {
    /// A tiny valid model's checkpoint, as header (JSON object) and data.
    private func valid() throws -> (header: [String: Any], body: Data) {
        let head = BernoulliHead(options: HeadOptions())
        let model = VAE(config: ModelConfig(shape: ImageShape(height: 2, width: 2, channels: 1), hidden: 3, latent: 1,
                                            head: BernoulliHead.id), head: head, capacity: 1)
        model.initialize(seed: 1)
        let data = try Checkpoint(model: model).encoded()
        let n = data.prefix(8).withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as! [String: Any]
        return (header, data.subdata(in: (8 + n)..<data.count))
    }

    private func file(_ header: Any, _ body: Data, length: UInt64? = nil) throws -> Data {
        let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        var out = Data()
        withUnsafeBytes(of: (length ?? UInt64(json.count)).littleEndian) { out.append(contentsOf: $0) }
        return out + json + body
    }

    private func entry(_ header: [String: Any], _ name: String, _ change: (inout [String: Any]) -> Void) -> [String: Any] {
        var header = header, e = header[name] as! [String: Any]
        change(&e)
        header[name] = e
        return header
    }

    private func config(_ header: [String: Any], _ change: (inout [String: Any]) -> Void) throws -> [String: Any] {
        var header = header, meta = header["__metadata__"] as! [String: String]
        var c = try JSONSerialization.jsonObject(with: Data(meta["config"]!.utf8)) as! [String: Any]
        change(&c)
        meta["config"] = String(decoding: try JSONSerialization.data(withJSONObject: c), as: UTF8.self)
        header["__metadata__"] = meta
        return header
    }

    /// Every kind of lie, and the words its error must contain.
    func testEveryKindOfHostileCheckpointGetsAClearError() throws {
        let (h, body) = try valid()
        let w = "encoder.0.weight"  // [4 x 3], the first 48 bytes
        let count = body.count
        var nan = body
        nan.replaceSubrange(0..<4, with: withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { Data($0) })
        let cases: [(String, Data, String)] = [
            ("empty file", Data(), "too short"),
            ("header length 2^64 - 1", try file(h, body, length: .max), "header length 18446744073709551615 is out of range"),
            ("header length past the end", try file(h, body, length: 1 << 20), "exceeds the file size"),
            ("header not JSON", withUnsafeBytes(of: UInt64(11).littleEndian) { Data($0) } + Data("{\"a\": [1, 2".utf8), "not a JSON object"),
            ("header a JSON array", try file([1, 2, 3], body), "not a JSON object"),
            ("metadata not strings", try file(h.merging(["__metadata__": ["config": 5]]) { $1 }, body), "must map strings to strings"),
            ("no configuration", try file(h.merging(["__metadata__": ["x": "y"]]) { $1 }, body), "no vaepipe model configuration"),
            ("configuration not JSON", try file(h.merging(["__metadata__": ["config": "{"]]) { $1 }, body), "configuration in the metadata is unreadable"),
            ("a 100000-unit layer", try file(try config(h) { $0["hidden"] = 100_000 }, body), "hidden, latent and width must be 1 to 65536"),
            ("a 60000-unit layer the file does not hold", try file(try config(h) { $0["hidden"] = 60_000 }, body), "tensor encoder.0.weight has shape [4, 3], expected [4, 60000]"),
            ("a 2^40-pixel image", try file(try config(h) { $0["shape"] = ["height": 1 << 20, "width": 1 << 20, "channels": 1] }, body), "cannot be modelled"),
            ("dtype F16", try file(entry(h, w) { $0["dtype"] = "F16" }, body), "is F16, expected F32"),
            ("negative dimension", try file(entry(h, w) { $0["shape"] = [-4, -3] }, body), "impossible shape [-4, -3]"),
            ("shape overflowing Int", try file(entry(h, w) { $0["shape"] = [1 << 40, 1 << 40] }, body), "more data than the file holds"),
            ("offsets out of the file", try file(entry(h, w) { $0["data_offsets"] = [count, count + 48] }, body), "lies outside the file"),
            ("negative offset", try file(entry(h, w) { $0["data_offsets"] = [-48, 0] }, body), "lies outside the file"),
            ("bytes not matching the shape", try file(entry(h, w) { $0["shape"] = [4, 2] }, body), "has 48 bytes for shape [4, 2]"),
            ("overlapping tensors", try file(entry(h, "encoder.0.bias") { $0["data_offsets"] = [40, 52] }, body), "tensor encoder.0.bias overlaps"),
            ("a hole between tensors", try file(entry(h, w) { $0["data_offsets"] = [4, 52] }, body), "4 unindexed bytes before tensor encoder.0.weight"),
            ("trailing bytes", try file(h, body + Data(count: 16)), "16 bytes after the last tensor"),
            ("a missing tensor", try file(h.filter { $0.key != "decoder.2.bias" }.merging(["decoder.2.bias_": h["decoder.2.bias"]!]) { $1 }, body), "missing tensor decoder.2.bias"),
            ("NaN weights", try file(h, nan), "tensor encoder.0.weight holds a non-finite value (nan at element 0)"),
            ("malformed entry", try file(entry(h, w) { $0["data_offsets"] = "0-48" }, body), "tensor encoder.0.weight has a malformed entry"),
            ("empty tensor name", try file(h.merging(["": ["dtype": "F32", "shape": [0], "data_offsets": [0, 0]]]) { $1 }, body), "a tensor name is empty"),
        ]
        XCTAssertGreaterThanOrEqual(cases.count, 12)
        // Scripts/hostile_checkpoints.sh asks for the files, to run the CLI on each.
        let dir = ProcessInfo.processInfo.environment["VAEPIPE_HOSTILE_OUT"] ?? Fixtures.temporaryDirectory()
        try cases.enumerated().map { "hostile-\($0.offset).safetensors\t\($0.element.0)\n" }.joined()
            .write(toFile: dir + "/kinds.tsv", atomically: true, encoding: .utf8)
        for (i, (label, data, expected)) in cases.enumerated() {
            let path = dir + "/hostile-\(i).safetensors"
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: data))
            XCTAssertThrowsError(try VAE.load(contentsOf: path, registry: BuiltinPlugins.registry(), capacity: 2), label) { error in
                let text = "\(error)"
                XCTAssertTrue(text.hasPrefix(path + ": "), "\(label): \(text)")
                XCTAssertTrue(text.contains(expected), "\(label): \(text)")
                XCTAssertFalse(text.contains("\n"), "\(label): \(text)")
            }
        }
    }

    func testTheValidFileTheLiesStartFromLoads() throws {
        let (h, body) = try valid()
        let path = Fixtures.temporaryDirectory() + "/valid.safetensors"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: try file(h, body)))
        let (model, _) = try VAE.load(contentsOf: path, registry: BuiltinPlugins.registry(), capacity: 2)
        XCTAssertEqual(model.parameters.count * 4, body.count)
    }
}

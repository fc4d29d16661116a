import Foundation

public enum VAEPipeVersion {
    public static let current = "0.1.0"
}

/// A model on disk as safetensors (an 8-byte little-endian header length, a JSON header naming
/// each tensor's dtype, shape and byte range, then the raw little-endian data), so other tools
/// can read our weights. The metadata holds the `ModelConfig`, enough to sample without data.
public struct Checkpoint {
    public struct Tensor: Equatable {
        public var name: String
        public var shape: [Int]
        public var values: [Float]
        public init(name: String, shape: [Int], values: [Float]) {
            self.name = name; self.shape = shape; self.values = values
        }
    }

    public var config: ModelConfig
    public var tensors: [Tensor]
    public var metadata: [String: String]

    public init(config: ModelConfig, tensors: [Tensor], metadata: [String: String] = [:]) {
        self.config = config; self.tensors = tensors; self.metadata = metadata
    }

    public func tensor(_ name: String) -> Tensor? { tensors.first { $0.name == name } }

    /// The model's parameters, plus any extra tensors (statistics the galleries use).
    public init(model: VAE, extra: [Tensor] = [], metadata: [String: String] = [:]) {
        var tensors: [Tensor] = []
        let store = model.parameters
        for (spec, offset) in zip(store.specs, store.offsets) {
            let view = UnsafeBufferPointer(start: store.values.pointer + offset, count: spec.count)
            tensors.append(Tensor(name: spec.name, shape: spec.shape, values: Array(view)))
        }
        self.init(config: model.config, tensors: tensors + extra, metadata: metadata)
    }

    // MARK: - Writing

    public func encoded() throws -> Data {
        var header: [String: Any] = [:]
        var meta = metadata
        meta["vaepipe_version"] = VAEPipeVersion.current
        meta["config"] = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
        meta["architecture"] = config.architecture
        meta["head"] = config.head
        meta["image_shape"] = "\(config.shape.height)x\(config.shape.width)x\(config.shape.channels)"
        header["__metadata__"] = meta
        var offset = 0
        for t in tensors {
            precondition(t.values.count == t.shape.reduce(1, *), "tensor \(t.name) shape mismatch")
            header[t.name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.values.count]]
            offset += 4 * t.values.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // The format recommends padding the header with spaces so the data starts 8-byte aligned.
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for t in tensors {
            t.values.withUnsafeBytes { out.append(contentsOf: $0) }  // x86-64 and arm64 are little-endian
        }
        return out
    }

    /// Writes atomically: an interrupted write leaves the previous checkpoint intact.
    public func write(to path: String) throws {
        try AtomicFile.write(try encoded(), to: path)
    }

    // MARK: - Reading

    public static func read(from path: String) throws -> Checkpoint {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDir = false
            if !fileExists(path, isDirectory: &isDir) { throw VAEPipeError.missingPath(path) }
            throw VAEPipeError.badCheckpoint(path: path, reason: "cannot be read")
        }
        return try decode(data, path: path)
    }

    public static func decode(_ data: Data, path: String) throws -> Checkpoint {
        func bad(_ reason: String) -> VAEPipeError { .badCheckpoint(path: path, reason: reason) }
        guard data.count >= 8 else { throw bad("file is \(data.count) bytes, too short for a safetensors header") }
        let n = data.prefix(8).withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        guard n > 0, n <= data.count - 8 else { throw bad("header length \(n) exceeds the file size") }
        guard let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as? [String: Any]
        else { throw bad("header is not valid JSON") }
        let meta = header["__metadata__"] as? [String: String] ?? [:]
        guard let configText = meta["config"],
              let config = try? JSONDecoder().decode(ModelConfig.self, from: Data(configText.utf8))
        else { throw bad("no vaepipe model configuration in the metadata") }
        if let problem = config.problem { throw bad(problem) }
        let body = 8 + n
        var tensors: [Tensor] = []
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let range = info["data_offsets"] as? [Int], range.count == 2
            else { throw bad("tensor \(name) has a malformed entry") }
            guard dtype == "F32" else { throw bad("tensor \(name) is \(dtype), expected F32") }
            let count = shape.reduce(1, *)
            guard range[0] >= 0, range[1] - range[0] == 4 * count, body + range[1] <= data.count else {
                throw bad("tensor \(name) lies outside the file (truncated?)")
            }
            var values = [Float](repeating: 0, count: count)
            values.withUnsafeMutableBytes { dst in
                data.copyBytes(to: dst.bindMemory(to: UInt8.self), from: (body + range[0])..<(body + range[1]))
            }
            tensors.append(Tensor(name: name, shape: shape, values: values))
        }
        tensors.sort { $0.name < $1.name }
        return Checkpoint(config: config, tensors: tensors, metadata: meta)
    }
}

extension VAE {
    /// Copies a checkpoint's parameters into this model (shapes must match exactly).
    public func load(_ checkpoint: Checkpoint, path: String) throws {
        let store = parameters
        for (spec, offset) in zip(store.specs, store.offsets) {
            guard let t = checkpoint.tensor(spec.name) else {
                throw VAEPipeError.badCheckpoint(path: path, reason: "missing tensor \(spec.name)")
            }
            guard t.shape == spec.shape else {
                throw VAEPipeError.badCheckpoint(path: path, reason: "tensor \(spec.name) has shape \(t.shape), expected \(spec.shape)")
            }
            t.values.withUnsafeBufferPointer { (store.values.pointer + offset).update(from: $0.baseAddress!, count: spec.count) }
        }
    }

    /// Rebuilds the model a checkpoint describes, with its head from the registry.
    public static func load(contentsOf path: String, registry: PluginRegistry, capacity: Int) throws -> (VAE, Checkpoint) {
        let ckpt = try Checkpoint.read(from: path)
        let headType = try registry.head(ckpt.config.head)
        let model = VAE(config: ckpt.config, head: try headType.init(options: ckpt.config.headOptions), capacity: capacity)
        try model.load(ckpt, path: path)
        return (model, ckpt)
    }
}

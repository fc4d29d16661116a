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

    /// Throws unless every spec has a tensor of that name and exactly that shape.
    public func checkHolds(_ specs: [ParameterSpec], path: String) throws {
        for spec in specs {
            guard let t = tensor(spec.name) else {
                throw VAEPipeError.badCheckpoint(path: path, reason: "missing tensor \(spec.name)")
            }
            guard t.shape == spec.shape else {
                throw VAEPipeError.badCheckpoint(path: path, reason: "tensor \(spec.name) has shape \(t.shape), expected \(spec.shape)")
            }
        }
    }

    /// Writes atomically: an interrupted write leaves the previous checkpoint intact.
    public func write(to path: String) throws {
        try AtomicFile.write(try encoded(), to: path)
    }
}

extension VAE {
    /// Copies a checkpoint's parameters into this model (shapes must match exactly).
    public func load(_ checkpoint: Checkpoint, path: String) throws {
        let store = parameters
        try checkpoint.checkHolds(store.specs, path: path)
        for (spec, offset) in zip(store.specs, store.offsets) {
            let t = checkpoint.tensor(spec.name)!
            t.values.withUnsafeBufferPointer { (store.values.pointer + offset).update(from: $0.baseAddress!, count: spec.count) }
        }
    }

    /// Rebuilds the model a checkpoint describes, with its head from the registry.
    public static func load(contentsOf path: String, registry: PluginRegistry, capacity: Int) throws -> (VAE, Checkpoint) {
        let ckpt = try Checkpoint.read(from: path)
        let head = try registry.lookup(recorded: ckpt.pluginRecords) { try $0.head(ckpt.config.head) }.make(ckpt.config.headOptions)
        // The configuration is only a claim: the file must hold every tensor it implies, shape
        // for shape, before a model that size is allocated.
        try ckpt.checkHolds(VAE.parameterSpecs(config: ckpt.config, head: head), path: path)
        let model = VAE(config: ckpt.config, head: head, capacity: capacity)
        try model.load(ckpt, path: path)
        return (model, ckpt)
    }
}

extension Checkpoint {
    public static let pluginsKey = "plugins"

    /// The plugins the run that wrote this checkpoint used, as `PluginRegistry.records` gave them.
    public var pluginRecords: [[String: String]] {
        guard let text = metadata[Self.pluginsKey],
              let records = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: String]] else { return [] }
        return records
    }
}

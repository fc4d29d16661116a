/// Every adapter, head and exporter vaepipe knows, filled once at start-up by an explicit list
/// (no registration by side effect) and passed to whoever needs it.
public struct PluginRegistry {
    public private(set) var adapters: [any DatasetAdapter.Type] = []
    public private(set) var heads: [any LikelihoodHead.Type] = []
    public private(set) var exporters: [any Exporter.Type] = []

    public init() {}

    public mutating func register(adapter: any DatasetAdapter.Type) {
        precondition(!adapters.contains { $0.id == adapter.id }, "duplicate adapter id \(adapter.id)")
        adapters.append(adapter)
    }
    public mutating func register(head: any LikelihoodHead.Type) {
        precondition(!heads.contains { $0.id == head.id }, "duplicate head id \(head.id)")
        heads.append(head)
    }
    public mutating func register(exporter: any Exporter.Type) {
        precondition(!exporters.contains { $0.id == exporter.id }, "duplicate exporter id \(exporter.id)")
        exporters.append(exporter)
    }

    public func head(_ id: String) throws -> any LikelihoodHead.Type {
        // A plain loop: `first(where:)` over `any LikelihoodHead.Type` crashes Swift 6.3's SILGen.
        for h in heads where h.id == id { return h }
        throw VAEPipeError.unknownPlugin(kind: "likelihood head", id: id, known: heads.map { $0.id })
    }

    public func exporter(_ id: String) throws -> any Exporter.Type {
        for e in exporters where e.id == id { return e }
        throw VAEPipeError.unknownPlugin(kind: "exporter", id: id, known: exporters.map { $0.id })
    }

    /// The adapter named by `id`, or the first whose sniff accepts `path`.
    public func adapter(for path: String, id: String? = nil) throws -> any DatasetAdapter.Type {
        if let id {
            for a in adapters where a.id == id { return a }
            throw VAEPipeError.unknownPlugin(kind: "dataset adapter", id: id, known: adapters.map { $0.id })
        }
        var isDirectory: Bool = false
        guard fileExists(path, isDirectory: &isDirectory) else { throw VAEPipeError.missingPath(path) }
        for a in adapters where a.accepts(path: path) { return a }
        throw VAEPipeError.unrecognizedData(path: path, tried: adapters.map { $0.id })
    }

    /// Sniffs and loads in one go.
    public func loadDataset(path: String, adapterID: String? = nil, options: DatasetOptions) throws -> Dataset {
        try adapter(for: path, id: adapterID).load(path: path, options: options)
    }
}

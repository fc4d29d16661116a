/// Every adapter, head and exporter vaepipe knows: the built-in list (explicit, no registration
/// by side effect), what a program built on VAEPipeKit adds, and plugins loaded at run time.
/// Passed to whoever needs it.
public struct PluginRegistry {
    public private(set) var adapters: [AdapterPlugin] = []
    public private(set) var heads: [HeadPlugin] = []
    public private(set) var exporters: [ExporterPlugin] = []

    public init() {}

    // MARK: Swift types (a conformance plus one line)

    public mutating func register<A: DatasetAdapter>(adapter: A.Type, origin: PluginOrigin = .builtin) {
        must(add(AdapterPlugin(id: A.id, summary: A.summary, origin: origin, accepts: A.accepts, load: A.load)))
    }
    public mutating func register<H: LikelihoodHead>(head: H.Type, origin: PluginOrigin = .builtin) {
        must(add(HeadPlugin(id: H.id, summary: H.summary, origin: origin, takesSigma: H.takesSigma, make: { options in
            if options.sigma != nil && !H.takesSigma { throw HeadOptions.noSigma(head: H.id) }
            return try H(options: options)
        })))
    }
    public mutating func register<E: Exporter>(exporter: E.Type, origin: PluginOrigin = .builtin) {
        must(add(ExporterPlugin(id: E.id, summary: E.summary, origin: origin, fileName: E.fileName,
                                defaultCount: E.defaultCount, output: .picture(E.render), notApplicable: { E.notApplicable(to: $0) })))
    }

    /// Two Swift plugins with one id are a programming error of whoever listed them.
    private func must(_ result: Result<Void, VAEPipeError>) {
        if case .failure(let e) = result { preconditionFailure(e.description) }
    }

    // MARK: Entries (loaded plugins): a clash is the loaded file's fault and an error naming it

    @discardableResult
    public mutating func add(_ a: AdapterPlugin) -> Result<Void, VAEPipeError> {
        if let other = adapters.first(where: { $0.id == a.id }) { return .failure(clash("dataset adapter", a.id, a.origin, other.origin)) }
        // A plugin's adapter is tried before the built-in ones: the folder adapter takes any
        // directory, so after it a plugin for directories of its own kind would never be asked.
        let at = a.origin.kind == .builtin ? adapters.endIndex : adapters.firstIndex { $0.origin.kind == .builtin } ?? adapters.endIndex
        adapters.insert(a, at: at); return .success(())
    }
    @discardableResult
    public mutating func add(_ h: HeadPlugin) -> Result<Void, VAEPipeError> {
        if let other = heads.first(where: { $0.id == h.id }) { return .failure(clash("likelihood head", h.id, h.origin, other.origin)) }
        heads.append(h); return .success(())
    }
    @discardableResult
    public mutating func add(_ e: ExporterPlugin) -> Result<Void, VAEPipeError> {
        if let other = exporters.first(where: { $0.id == e.id }) { return .failure(clash("exporter", e.id, e.origin, other.origin)) }
        if let other = exporters.first(where: { $0.fileName == e.fileName }) {
            return .failure(.badPlugin(path: e.origin.path ?? e.id,
                                       reason: "exporter '\(e.id)' writes \(e.fileName), as exporter '\(other.id)' (\(other.origin.description)) already does"))
        }
        exporters.append(e); return .success(())
    }

    private func clash(_ kind: String, _ id: String, _ new: PluginOrigin, _ old: PluginOrigin) -> VAEPipeError {
        .badPlugin(path: new.path ?? id, reason: "duplicate \(kind) id '\(id)' (already registered: \(old.description))")
    }

    // MARK: Lookup

    public func head(_ id: String) throws -> HeadPlugin {
        for h in heads where h.id == id { return h }
        throw VAEPipeError.unknownPlugin(kind: "likelihood head", id: id, known: heads.map { $0.id })
    }

    public func exporter(_ id: String) throws -> ExporterPlugin {
        for e in exporters where e.id == id { return e }
        throw VAEPipeError.unknownPlugin(kind: "exporter", id: id, known: exporters.map { $0.id })
    }

    /// The adapter named by `id`, or the first whose sniff accepts `path`.
    public func adapter(for path: String, id: String? = nil) throws -> AdapterPlugin {
        if let id {
            for a in adapters where a.id == id { return a }
            throw VAEPipeError.unknownPlugin(kind: "dataset adapter", id: id, known: adapters.map { $0.id })
        }
        var isDirectory: Bool = false
        guard fileExists(path, isDirectory: &isDirectory) else { throw VAEPipeError.missingPath(path) }
        for a in adapters where a.accepts(path) { return a }
        throw VAEPipeError.unrecognizedData(path: path, tried: adapters.map { $0.id })
    }

    /// Sniffs and loads in one go.
    public func loadDataset(path: String, adapterID: String? = nil, options: DatasetOptions) throws -> Dataset {
        try adapter(for: path, id: adapterID).load(path, options)
    }

    /// What a run remembers of the plugins it used (its adapter, its head, every exporter), for
    /// run.json and the checkpoint: id, where it came from, version, and a loaded file's hash.
    public func records(adapter: String?, head: String) -> [[String: String]] {
        adapters.filter { $0.id == adapter }.map { $0.origin.record(kind: "adapter", id: $0.id) }
            + heads.filter { $0.id == head }.map { $0.origin.record(kind: "head", id: $0.id) }
            + exporters.map { $0.origin.record(kind: "exporter", id: $0.id) }
    }

    /// `body` on this registry; a plugin it lacks that a run recorded (`records`) loading from a
    /// file is named with that file, so the user knows what to pass to --plugin.
    public func lookup<T>(recorded records: [[String: String]], _ body: (PluginRegistry) throws -> T) throws -> T {
        do { return try body(self) } catch VAEPipeError.unknownPlugin(let kind, let id, let known) {
            if let r = records.first(where: { $0["id"] == id && Self.kindNames[$0["kind"] ?? ""] == kind }), r["path"] != nil {
                throw Self.missing(r)
            }
            throw VAEPipeError.unknownPlugin(kind: kind, id: id, known: known)
        }
    }

    /// The first plugin of `kinds` that `records` (a run's) say was loaded from a file and that
    /// this registry lacks, as the error to give; nil when every one is here.
    public func missing(_ records: [[String: String]], kinds: Set<String> = ["adapter", "head", "exporter"]) -> VAEPipeError? {
        for r in records where r["source"] == PluginOrigin.Kind.loaded.rawValue && kinds.contains(r["kind"] ?? "") {
            let id = r["id"] ?? ""
            let present = switch r["kind"] {
            case "adapter": adapters.contains { $0.id == id }
            case "head": heads.contains { $0.id == id }
            default: exporters.contains { $0.id == id }
            }
            if !present { return Self.missing(r) }
        }
        return nil
    }

    private static let kindNames = ["adapter": "dataset adapter", "head": "likelihood head", "exporter": "exporter"]

    private static func missing(_ r: [String: String]) -> VAEPipeError {
        .missingPlugin(kind: kindNames[r["kind"] ?? ""] ?? "plugin", id: r["id"] ?? "?",
                       recorded: "\(r["path"] ?? "?") (version \(r["version"] ?? "?"), sha256 \(r["sha256"] ?? "?"))")
    }
}

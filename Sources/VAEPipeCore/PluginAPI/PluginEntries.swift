import Foundation

/// Where a plugin came from: compiled into vaepipe, compiled into a program built on VAEPipeKit,
/// or loaded at run time from a shared object (whose file hash a run records).
public struct PluginOrigin: Sendable, Equatable {
    public enum Kind: String, Sendable { case builtin = "built in", linked, loaded }
    public var kind: Kind
    public var version: String
    /// The shared object, for loaded plugins.
    public var path: String?
    /// SHA-256 of the shared object, hex.
    public var sha256: String?

    public init(kind: Kind, version: String, path: String? = nil, sha256: String? = nil) {
        self.kind = kind; self.version = version; self.path = path; self.sha256 = sha256
    }

    public static let builtin = PluginOrigin(kind: .builtin, version: VAEPipeVersion.current)

    /// "built in", "linked, version 2" or "/path/libx.so, version 1, sha256 0123abcd…".
    public var description: String {
        switch kind {
        case .builtin: return "built in"
        case .linked: return "linked, version \(version)"
        case .loaded: return "\(path ?? "?"), version \(version), sha256 \(sha256.map { String($0.prefix(12)) } ?? "?")…"
        }
    }

    /// What run.json and the checkpoint remember of a plugin.
    public func record(kind pluginKind: String, id: String) -> [String: String] {
        var r = ["kind": pluginKind, "id": id, "source": kind.rawValue, "version": version]
        if let path { r["path"] = path }
        if let sha256 { r["sha256"] = sha256 }
        return r
    }
}

/// A likelihood head as the registry holds it: a Swift type or a loaded table alike.
public struct HeadPlugin {
    public let id: String
    public let summary: String
    public let origin: PluginOrigin
    public let make: (HeadOptions) throws -> any Likelihood
    /// Whether the head takes `--sigma` (a loaded C head never does).
    public let takesSigma: Bool

    public init(id: String, summary: String, origin: PluginOrigin, takesSigma: Bool = false,
                make: @escaping (HeadOptions) throws -> any Likelihood) {
        self.id = id; self.summary = summary; self.origin = origin; self.takesSigma = takesSigma; self.make = make
    }
}

/// A dataset adapter as the registry holds it.
public struct AdapterPlugin {
    public let id: String
    public let summary: String
    public let origin: PluginOrigin
    public let accepts: (String) -> Bool
    public let load: (String, DatasetOptions) throws -> Dataset

    public init(id: String, summary: String, origin: PluginOrigin, accepts: @escaping (String) -> Bool,
                load: @escaping (String, DatasetOptions) throws -> Dataset) {
        self.id = id; self.summary = summary; self.origin = origin; self.accepts = accepts; self.load = load
    }
}

/// An exporter as the registry holds it. Swift exporters render a picture that vaepipe encodes
/// as PNG (and shows in TensorBoard and index.html); a loaded exporter writes its own file.
public struct ExporterPlugin {
    public enum Output {
        case picture((ExportRequest) throws -> GridImage)
        case file((ExportRequest, String) throws -> Void)
    }
    public let id: String
    public let summary: String
    public let origin: PluginOrigin
    public let fileName: String
    public let defaultCount: Int
    public let output: Output
    /// Why the gallery cannot be drawn for a model, or nil (see `Exporter.notApplicable`).
    public let notApplicable: (ModelConfig) -> String?

    public init(id: String, summary: String, origin: PluginOrigin, fileName: String, defaultCount: Int, output: Output,
                notApplicable: @escaping (ModelConfig) -> String? = { _ in nil }) {
        self.id = id; self.summary = summary; self.origin = origin; self.fileName = fileName
        self.defaultCount = defaultCount; self.output = output; self.notApplicable = notApplicable
    }
}

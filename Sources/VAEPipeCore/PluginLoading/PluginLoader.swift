import CVAEPipePlugin
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Loads run-time plugins (shared objects with the C ABI of vaepipe_plugin.h) into a registry.
/// Every check happens before the plugin's entries join the registry, and all of a file's
/// entries join together or none do: a bad plugin stops vaepipe before anything is written.
public enum PluginLoader {
    /// The environment variable naming directories (colon-separated) whose *.so files load at start.
    public static let pathVariable = "VAEPIPE_PLUGIN_PATH"

    /// The shared objects in the VAEPIPE_PLUGIN_PATH directories, each directory's in name order.
    public static func environmentPlugins(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> [String] {
        guard let value = environment[pathVariable], !value.isEmpty else { return [] }
        var paths: [String] = []
        for dir in value.split(separator: ":").map(String.init) where !dir.isEmpty {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
                throw VAEPipeError.badFile(path: dir, reason: "\(pathVariable) names it, but it is not a readable directory")
            }
            paths += names.filter { $0.hasSuffix(".so") }.sorted().map { (dir as NSString).appendingPathComponent($0) }
        }
        return paths
    }

    /// Loads the plugin at `path` and adds its adapters, heads and exporters to `registry`.
    public static func load(_ given: String, into registry: inout PluginRegistry) throws {
        // Named absolutely everywhere: in messages, in run.json, and to dlopen (which would search
        // the library path for a bare name).
        let path = URL(fileURLWithPath: given).standardizedFileURL.path
        let fail = { (reason: String) in VAEPipeError.badPlugin(path: path, reason: reason) }
        var info = stat()
        guard stat(path, &info) == 0 else { throw VAEPipeError.missingPath(path) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw fail("not a regular file") }
        guard let bytes = FileManager.default.contents(atPath: path) else { throw fail("cannot be read") }
        guard bytes.starts(with: [0x7F, 0x45, 0x4C, 0x46]) else { throw fail("not a shared object (no ELF header)") }
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw fail("cannot be loaded: \(dlerror().map { String(cString: $0) } ?? "dlopen failed")")
        }
        // Never closed: its functions stay in use until the process ends.
        guard let symbol = dlsym(handle, VAEPIPE_PLUGIN_ENTRY) else {
            throw fail("it exports no function \(VAEPIPE_PLUGIN_ENTRY) (built without it, or not a vaepipe plugin)")
        }
        let entry = unsafeBitCast(symbol, to: vp_plugin_entry.self)
        guard let table = entry() else { throw fail("\(VAEPIPE_PLUGIN_ENTRY)() returned no table") }
        try add(table, path: path, sha256: SHA256.hex([UInt8](bytes)), into: &registry)
    }

    /// Checks a plugin table and adds its adapters, heads and exporters to `registry`, all or none.
    /// `load` calls this after dlopen; a test (or a program that links a C plugin in) may call it
    /// on a table in memory.
    public static func add(_ table: UnsafePointer<vp_plugin>, path: String, sha256: String?,
                           into registry: inout PluginRegistry) throws {
        let fail = { (reason: String) in VAEPipeError.badPlugin(path: path, reason: reason) }
        let version = table.pointee.abi_version
        guard version == VAEPIPE_PLUGIN_ABI_VERSION else {
            throw fail("it was built for plugin ABI version \(version); this vaepipe reads version \(VAEPIPE_PLUGIN_ABI_VERSION)")
        }
        let origin = PluginOrigin(kind: .loaded, version: try text(table.pointee.version, "version", fail),
                                  path: path, sha256: sha256)

        var staged = registry
        let t = table.pointee
        for (count, what) in [(t.head_count, "head_count"), (t.adapter_count, "adapter_count"), (t.exporter_count, "exporter_count")]
        where count < 0 || count > 64 { throw fail("\(what) is \(count) (0 to 64 allowed)") }
        guard t.head_count + t.adapter_count + t.exporter_count > 0 else { throw fail("its table lists no adapter, head or exporter") }
        for i in 0..<Int(t.head_count) {
            guard let d = t.heads?[i] else { throw fail("head_count is \(t.head_count) but heads is NULL") }
            try staged.add(try LoadedHead.plugin(d, origin: origin, fail: fail)).get()
        }
        for i in 0..<Int(t.adapter_count) {
            guard let d = t.adapters?[i] else { throw fail("adapter_count is \(t.adapter_count) but adapters is NULL") }
            try staged.add(try LoadedAdapter.plugin(d, origin: origin, fail: fail)).get()
        }
        for i in 0..<Int(t.exporter_count) {
            guard let d = t.exporters?[i] else { throw fail("exporter_count is \(t.exporter_count) but exporters is NULL") }
            try staged.add(try LoadedExporter.plugin(d, origin: origin, fail: fail)).get()
        }
        registry = staged
    }

    /// A string of the table, present and valid UTF-8.
    static func text(_ p: UnsafePointer<CChar>?, _ what: String, _ fail: (String) -> VAEPipeError) throws -> String {
        guard let p else { throw fail("its \(what) is NULL") }
        guard let s = String(validatingCString: p), s.utf8.count <= 1024 else { throw fail("its \(what) is not a short UTF-8 string") }
        return s
    }

    /// An id of the table: 1-32 of a-z, 0-9, '-', '_'.
    static func id(_ p: UnsafePointer<CChar>?, _ what: String, _ fail: (String) -> VAEPipeError) throws -> String {
        let s = try text(p, what, fail)
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-_")
        guard (1...32).contains(s.count), s.allSatisfy(allowed.contains) else {
            throw fail("\(what) '\(s)' is not an id (1-32 characters of a-z, 0-9, '-', '_')")
        }
        return s
    }
}

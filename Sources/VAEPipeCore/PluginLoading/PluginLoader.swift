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
        // dlopen trusts the file's headers: a copy cut short would be mapped past its end and
        // fault on the first touch (SIGBUS), so the file is checked before dlopen sees it.
        if let problem = SharedObjectCheck.problem(in: [UInt8](bytes)) { throw fail(problem) }
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw fail("cannot be loaded: \(dlerror().map { String(cString: $0) } ?? "dlopen failed")")
        }
        // Never closed: its functions stay in use until the process ends.
        guard let symbol = dlsym(handle, VAEPIPE_PLUGIN_ENTRY) else {
            throw fail("it exports no function \(VAEPIPE_PLUGIN_ENTRY) (built without it, or not a vaepipe plugin)")
        }
        guard PluginMemory.isCode(symbol) else { throw fail("its \(VAEPIPE_PLUGIN_ENTRY) is not a function") }
        let entry = unsafeBitCast(symbol, to: vp_plugin_entry.self)
        guard let table = entry() else { throw fail("\(VAEPIPE_PLUGIN_ENTRY)() returned no table (NULL)") }
        try add(table, path: path, sha256: SHA256.hex([UInt8](bytes)), into: &registry)
    }

    /// Checks a plugin table and adds its adapters, heads and exporters to `registry`, all or none.
    /// `load` calls this after dlopen; a test (or a program that links a C plugin in) may call it
    /// on a table in memory.
    public static func add(_ table: UnsafePointer<vp_plugin>, path: String, sha256: String?,
                           into registry: inout PluginRegistry) throws {
        let fail = { (reason: String) in VAEPipeError.badPlugin(path: path, reason: reason) }
        guard let t = PluginMemory.copy(table)?.first else { throw fail("\(VAEPIPE_PLUGIN_ENTRY)() returned \(table), which is not readable memory") }
        guard t.abi_version == VAEPIPE_PLUGIN_ABI_VERSION else {
            throw fail("it was built for plugin ABI version \(t.abi_version); this vaepipe reads version \(VAEPIPE_PLUGIN_ABI_VERSION)")
        }
        _ = try text(t.name, "name", fail)
        let origin = PluginOrigin(kind: .loaded, version: try text(t.version, "version", fail), path: path, sha256: sha256)

        for (count, what) in [(t.head_count, "head_count"), (t.adapter_count, "adapter_count"), (t.exporter_count, "exporter_count")]
        where count < 0 || count > 64 { throw fail("\(what) is \(count) (0 to 64 allowed)") }
        guard t.head_count + t.adapter_count + t.exporter_count > 0 else { throw fail("its table lists no adapter, head or exporter") }
        let arrays: [(String, UnsafeRawPointer?, Int32)] = [("heads", UnsafeRawPointer(t.heads), t.head_count),
                                                           ("adapters", UnsafeRawPointer(t.adapters), t.adapter_count),
                                                           ("exporters", UnsafeRawPointer(t.exporters), t.exporter_count)]
        for (i, a) in arrays.enumerated() where a.2 > 0 {
            guard a.1 != nil else { throw fail("\(a.0.dropLast())_count is \(a.2) but \(a.0) is NULL") }
            if let b = arrays[(i + 1)...].first(where: { $0.2 > 0 && $0.1 == a.1 }) { throw fail("its \(a.0) and \(b.0) point at the same memory") }
        }
        func descriptors<T>(_ p: UnsafePointer<T>?, _ count: Int32, _ what: String) throws -> [T] {
            guard let all = PluginMemory.copy(p, count: Int(count)) else { throw fail("its \(what) (\(count) at \(p.map { "\($0)" } ?? "NULL")) are not readable memory") }
            return all
        }
        var staged = registry
        for d in try descriptors(t.heads, t.head_count, "heads") { try staged.add(try LoadedHead.plugin(d, origin: origin, fail: fail)).get() }
        for d in try descriptors(t.adapters, t.adapter_count, "adapters") { try staged.add(try LoadedAdapter.plugin(d, origin: origin, fail: fail)).get() }
        for d in try descriptors(t.exporters, t.exporter_count, "exporters") { try staged.add(try LoadedExporter.plugin(d, origin: origin, fail: fail)).get() }
        registry = staged
    }

    /// A descriptor's functions: the required ones present, each pointing at code, no two the
    /// same (each has its own signature, so one function in two places is a table that lies).
    static func functions(_ named: [(name: String, pointer: UnsafeRawPointer?, required: Bool)], of owner: String,
                          _ fail: (String) -> VAEPipeError) throws {
        for (i, f) in named.enumerated() {
            guard let p = f.pointer else {
                if f.required { throw fail("\(owner) has no \(f.name) function (NULL)") }
                continue
            }
            guard PluginMemory.isCode(p) else { throw fail("the \(f.name) function of \(owner) (\(p)) does not point at code") }
            if let other = named[..<i].first(where: { $0.pointer == p }) { throw fail("\(owner) gives one function as both \(other.name) and \(f.name)") }
        }
    }

    /// A C function pointer as an address, for `functions`.
    static func address<F>(_ f: F?) -> UnsafeRawPointer? {
        f.map { unsafeBitCast($0, to: UnsafeRawPointer.self) }
    }

    /// A string of the table, present and valid UTF-8.
    static func text(_ p: UnsafePointer<CChar>?, _ what: String, _ fail: (String) -> VAEPipeError) throws -> String {
        switch PluginMemory.string(p) {
        case .success(let s): return s
        case .failure(.null): throw fail("its \(what) is NULL")
        case .failure(.unreadable): throw fail("its \(what) (at \(p.map { "\($0)" } ?? "NULL")) is not readable memory")
        case .failure(.unterminated): throw fail("its \(what) has no end within \(PluginMemory.maxString) bytes (not NUL-terminated)")
        case .failure(.notUTF8): throw fail("its \(what) is not UTF-8")
        }
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

import ArgumentParser
import Foundation
@_exported import VAEPipeBuiltinPlugins

/// vaepipe's command line as a function of its plugins: a package of someone else's builds its
/// own `vaepipe` with
///
///     import VAEPipeKit
///     var registry = BuiltinPlugins.registry()
///     registry.register(head: MyHead.self, origin: .linked(version: "1.0"))
///     VAEPipeKit.main(registry: registry)
public enum VAEPipeKit {
    /// The plugins every command sees: the caller's, plus those loaded from --plugin and
    /// VAEPIPE_PLUGIN_PATH. Set once, before any command runs.
    nonisolated(unsafe) public private(set) static var registry = PluginRegistry()

    /// Loads the run-time plugins named in `arguments` (`--plugin PATH`, `--plugin=PATH`, anywhere)
    /// and in VAEPIPE_PLUGIN_PATH into `registry`, then runs the command line without them.
    /// A plugin that cannot be used ends the process with one line naming it, before any command.
    public static func main(registry: PluginRegistry, arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> Never {
        var registry = registry
        let (rest, paths) = split(arguments)
        do {
            for path in try PluginLoader.environmentPlugins() + paths { try PluginLoader.load(path, into: &registry) }
        } catch {
            fail("\(error)")
        }
        self.registry = registry
        VAEPipe.main(rest)
        exit(0)
    }

    /// The arguments without `--plugin PATH` / `--plugin=PATH` (anywhere before `--`), and the paths.
    static func split(_ arguments: [String]) -> (rest: [String], paths: [String]) {
        var rest: [String] = [], paths: [String] = []
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "--" { rest += arguments[i...]; break }
            if a == "--plugin" {
                guard i + 1 < arguments.count else { fail("--plugin needs a path to a shared object (.so)") }
                paths.append(arguments[i + 1]); i += 2; continue
            }
            if a.hasPrefix("--plugin=") { paths.append(String(a.dropFirst("--plugin=".count))); i += 1; continue }
            rest.append(a); i += 1
        }
        return (rest, paths)
    }

    private static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
        exit(1)
    }
}

extension PluginOrigin {
    /// A plugin compiled into a program built on VAEPipeKit.
    public static func linked(version: String) -> PluginOrigin { PluginOrigin(kind: .linked, version: version) }
}

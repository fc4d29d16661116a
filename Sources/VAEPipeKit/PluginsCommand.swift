import Foundation
import ArgumentParser
import VAEPipeBuiltinPlugins
import VAEPipeCore

struct Plugins: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the dataset adapters, likelihood heads and exporters, and where each comes from.")

    func run() throws {
        let r = VAEPipeKit.registry
        print("compute: \(Backend.summary) on \(Backend.cpuName) (`vaepipe doctor` measures it)")
        // Built-in plugins say nothing of their origin; the others say where they came from.
        func section(_ title: String, _ rows: [(id: String, text: String, origin: PluginOrigin)]) {
            print(title)
            let width = rows.map(\.id.count).max() ?? 0
            for row in rows {
                let from = row.origin.kind == .builtin ? "" : "  [\(row.origin.description)]"
                print("  " + row.id.padding(toLength: width + 2, withPad: " ", startingAt: 0) + row.text + from)
            }
        }
        section("dataset adapters (--adapter, sniffed from --data in this order):", r.adapters.map { ($0.id, $0.summary, $0.origin) })
        section("likelihood heads (--likelihood):", r.heads.map { ($0.id, $0.summary, $0.origin) })
        section("exporters (galleries written by train):", r.exporters.map { ($0.id, "\($0.fileName): \($0.summary)", $0.origin) })
        print("run-time plugins: --plugin PATH.so (repeatable), or the .so files of the directories in \(PluginLoader.pathVariable)")
    }
}

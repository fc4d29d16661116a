import Foundation
import ArgumentParser
import VAEPipeBuiltinPlugins
import VAEPipeCore

struct Plugins: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the registered dataset adapters, likelihood heads and exporters.")

    func run() throws {
        let r = BuiltinPlugins.registry()
        print("compute: \(Backend.summary) on \(Backend.cpuName) (`vaepipe doctor` measures it)")
        func section(_ title: String, _ rows: [(String, String)]) {
            print(title)
            let width = rows.map(\.0.count).max() ?? 0
            for (id, summary) in rows { print("  " + id.padding(toLength: width + 2, withPad: " ", startingAt: 0) + summary) }
        }
        section("dataset adapters (--adapter, sniffed from --data in this order):", r.adapters.map { ($0.id, $0.summary) })
        section("likelihood heads (--likelihood):", r.heads.map { ($0.id, $0.summary) })
        section("exporters (galleries written by train):", r.exporters.map { ($0.id, "\($0.fileName): \($0.summary)") })
    }
}

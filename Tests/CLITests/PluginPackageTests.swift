import Foundation
import VAEPipeTestSupport
import XCTest

/// Samples/PluginPackage: someone else's package that depends on VAEPipeKit, adds a head and
/// builds its own vaepipe. Built here as its user would, with `swift build`.
final class PluginPackageTests: CLITestCase {
    func testSamplePackageBuildsItsOwnVaepipeAndTrainsWithItsHead() throws {
        let package = PluginBuilder.root + "/Samples/PluginPackage"
        // Kept between runs (under the repository's .build), so only the first build is slow. One
        // per set of vaepipe's source files: SwiftPM's cached build of a path dependency misses a
        // file added to it since ("cannot find 'X' in scope"), so a new file means a new scratch.
        var files: [String] = []
        for dir in ["Sources", "Plugins"] {
            files += try FileManager.default.subpathsOfDirectory(atPath: PluginBuilder.root + "/" + dir).map { dir + "/" + $0 }
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a over the sorted paths
        for byte in files.sorted().joined(separator: "\n").utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let scratch = PluginBuilder.root + "/.build/sample-plugin-package-" + String(hash, radix: 16)
        try PluginBuilder.run("swift", ["build", "--package-path", package, "--scratch-path", scratch])
        let tool = scratch + "/debug/my-vaepipe"
        let listing = try run(at: tool, ["plugins"])
        XCTAssertTrue(listing.stdout.contains("unit-gaussian") && listing.stdout.contains("[linked, version 1.0.0]"), listing.stdout)
        XCTAssertTrue(listing.stdout.contains("bernoulli"), "the built-in plugins stay: \(listing.stdout)")

        let runDir = Fixtures.temporaryDirectory() + "/run"
        let r = try run(at: tool, ["train", "--data", Fixtures.idxDirectory(train: 64, test: 16, side: 8), "--likelihood", "unit-gaussian",
                                   "--epochs", "2", "--batch", "16", "--latent", "2", "--hidden", "16", "--out", runDir])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("head unit-gaussian"), r.stdout)
        let info = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: runDir + "/run.json"))) as! [String: Any]
        let head = (info["plugins"] as! [[String: String]]).first { $0["kind"] == "head" }
        XCTAssertEqual(head?["source"], "linked")
        XCTAssertEqual(head?["id"], "unit-gaussian")
    }
}

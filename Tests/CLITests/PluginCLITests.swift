import Foundation
import VAEPipeBuiltinPlugins
import VAEPipeTestSupport
import XCTest

/// Run-time plugins through the binary: the three sample plugins built with one command each and
/// used by a run, and every kind of bad plugin refused with one line and nothing written.
final class PluginCLITests: CLITestCase {
    static let samples = PluginBuilder.root + "/Samples/Plugins"

    /// A tiny training run with `plugins` loaded; returns the run directory.
    func trainWith(_ plugins: [String], _ extra: [String] = [], data: String = Fixtures.idxDirectory(train: 64, test: 16, side: 8)) throws -> String {
        let runDir = Fixtures.temporaryDirectory() + "/run"
        let r = try run(plugins.flatMap { ["--plugin", $0] } + ["train", "--data", data, "--epochs", "2", "--batch", "16",
                         "--latent", "3", "--hidden", "16", "--out", runDir] + extra)
        XCTAssertEqual(r.status, 0, r.stderr)
        return runDir
    }

    func testCLaplaceHeadTrainsIsRecordedAndIsNamedWhenMissing() throws {
        let dir = Fixtures.temporaryDirectory()
        let so = try PluginBuilder.c(Self.samples + "/laplace-head/laplace_head.c", named: "laplace_head", in: dir)
        let listing = try run(["plugins", "--plugin", so])
        XCTAssertTrue(listing.stdout.contains("laplace") && listing.stdout.contains(so), listing.stdout)
        let runDir = try trainWith([so], ["--likelihood", "laplace"])
        let info = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: runDir + "/run.json"))) as! [String: Any]
        let plugins = info["plugins"] as! [[String: String]]
        let head = try XCTUnwrap(plugins.first { $0["kind"] == "head" })
        XCTAssertEqual(head["id"], "laplace"); XCTAssertEqual(head["source"], "loaded"); XCTAssertEqual(head["version"], "1.0.0")
        XCTAssertEqual(head["sha256"], SHA256.hex([UInt8](try Data(contentsOf: URL(fileURLWithPath: so)))))

        let missing = try run(["sample", "--run", runDir, "--out", dir + "/s.png"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("laplace") && missing.stderr.contains(so) && missing.stderr.contains("--plugin"), missing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/s.png"))
        XCTAssertEqual(try run(["sample", "--run", runDir, "--out", dir + "/s.png", "--plugin", so]).status, 0)
        let resumed = try run(["train", "--resume", runDir, "--epochs", "3", "--plugin", so])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("epoch 3/3"), resumed.stdout)
    }

    /// VAEPIPE_PLUGIN_PATH: every .so of its directories loads without --plugin; a directory that
    /// is not there is an error naming it.
    func testPluginPathDirectoriesLoadTheirSharedObjects() throws {
        let dir = Fixtures.temporaryDirectory()
        let so = try PluginBuilder.c(Self.samples + "/laplace-head/laplace_head.c", named: "laplace_head", in: dir)
        let listing = try run(at: binary.path, ["plugins"], environment: ["VAEPIPE_PLUGIN_PATH": "/nonexistent-empty-ok:" + dir])
        XCTAssertEqual(listing.status, 1)
        XCTAssertTrue(listing.stderr.contains("/nonexistent-empty-ok") && listing.stderr.contains("VAEPIPE_PLUGIN_PATH"), listing.stderr)
        let found = try run(at: binary.path, ["plugins"], environment: ["VAEPIPE_PLUGIN_PATH": dir])
        XCTAssertEqual(found.status, 0, found.stderr)
        XCTAssertTrue(found.stdout.contains("laplace") && found.stdout.contains(so), found.stdout)
    }

    func testGIFExporterWritesAnAnimatedGIFTheReportShows() throws {
        let dir = Fixtures.temporaryDirectory()
        let so = try PluginBuilder.c(Self.samples + "/gif-traversals/gif_traversals.c", named: "gif_traversals", in: dir, libraries: ["gif"])
        let runDir = try trainWith([so])
        let gif = try XCTUnwrap(FileManager.default.contents(atPath: runDir + "/traversals.gif"))
        XCTAssertEqual(Array(gif.prefix(6)), Array("GIF89a".utf8))
        // 3 panels of 8x8 zoomed 8x to 64, with 2-pixel gaps: 3 * 64 + 4 * 2 wide, 64 + 4 high.
        XCTAssertEqual(Int(gif[6]) | Int(gif[7]) << 8, 3 * 64 + 4 * 2)
        XCTAssertEqual(Int(gif[8]) | Int(gif[9]) << 8, 64 + 4)
        XCTAssertNotNil(gif.range(of: Data("NETSCAPE2.0".utf8)), "loops")
        XCTAssertEqual(gif.last, 0x3B, "trailer")
        let html = try String(contentsOfFile: runDir + "/index.html", encoding: .utf8)
        XCTAssertTrue(html.contains("data:image/gif;base64,"))
        let mode = try FileManager.default.attributesOfItem(atPath: runDir + "/traversals.gif")[.posixPermissions] as! Int
        XCTAssertEqual(mode & 0o044, 0o044, "readable like the other galleries")
        // The run goes on only with the exporter it began with.
        let resumed = try run(["train", "--resume", runDir, "--epochs", "3"])
        XCTAssertEqual(resumed.status, 1)
        XCTAssertTrue(resumed.stderr.contains("exporter 'gif-traversals'") && resumed.stderr.contains(so), resumed.stderr)
    }

    /// A .npy file as NumPy writes it (format 1.0): magic, header dict padded to 64 bytes, data.
    static func npy(descr: String, shape: [Int], data: [UInt8]) -> Data {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(dims)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        let n = header.utf8.count
        return Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(n & 255), UInt8(n >> 8)] + Array(header.utf8) + data)
    }

    func testSwiftNPYAdapterReadsKnownPixelsAndLabels() throws {
        let dir = Fixtures.temporaryDirectory()
        let so = try PluginBuilder.swift(Self.samples + "/npy-adapter/NPYAdapter.swift", module: "NPYAdapter", in: dir)
        let data = dir + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let pixels = Fixtures.patternImages(count: 48, side: 8)
        try Self.npy(descr: "|u1", shape: [48, 8, 8], data: pixels).write(to: URL(fileURLWithPath: data + "/train.npy"))
        let labels = (0..<48).flatMap { i -> [UInt8] in [UInt8(i % 4), 0, 0, 0, 0, 0, 0, 0] }
        try Self.npy(descr: "<i8", shape: [48], data: labels).write(to: URL(fileURLWithPath: data + "/train_labels.npy"))
        // The test split as float32 in [0, 1]: 16 images, each pixel 0.5 (stored as 128).
        let half = (0..<(16 * 64)).flatMap { _ in withUnsafeBytes(of: Float(0.5).bitPattern.littleEndian, Array.init) }
        try Self.npy(descr: "<f4", shape: [16, 8, 8], data: half).write(to: URL(fileURLWithPath: data + "/test.npy"))
        try Self.npy(descr: "|u1", shape: [16], data: [UInt8](repeating: 2, count: 16)).write(to: URL(fileURLWithPath: data + "/test_labels.npy"))
        let inspect = try run(["inspect", "--data", data, "--plugin", so])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        XCTAssertTrue(inspect.stdout.contains("npy") && inspect.stdout.contains("48"), inspect.stdout)
        let runDir = try trainWith([so], data: data)
        let out = try run(["evaluate", "--run", runDir, "--data", data, "--plugin", so])
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertTrue(out.stdout.contains("\"split\":\"test\""), out.stdout)
        let without = try run(["evaluate", "--run", runDir, "--data", data])
        XCTAssertEqual(without.status, 1)
        XCTAssertTrue(without.stderr.contains("dataset adapter 'npy'") && without.stderr.contains(so), without.stderr)

        // The bytes arrive as written: the plugin's dataset equals the pattern images.
        var registry = BuiltinPlugins.registry()
        try PluginLoader.load(so, into: &registry)
        let d = try registry.loadDataset(path: data, options: DatasetOptions())
        XCTAssertEqual(d.adapterID, "npy")
        XCTAssertEqual(try d.train.allPixels(), pixels)
        XCTAssertEqual(d.train.labels, (0..<48).map { $0 % 4 })
        XCTAssertEqual(try d.test?.allPixels(), [UInt8](repeating: 128, count: 16 * 64))
        XCTAssertEqual(d.test?.labels, [Int](repeating: 2, count: 16))

        let bad = dir + "/bad.npy"
        try Self.npy(descr: "<f8", shape: [2, 8, 8], data: [UInt8](repeating: 0, count: 1024)).write(to: URL(fileURLWithPath: bad))
        let r = try run(["train", "--data", bad, "--out", dir + "/never", "--plugin", so])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains(bad) && r.stderr.contains("<f8"), r.stderr)
    }

    /// Each bad plugin: exit 1, one line naming the file and the reason, no run directory.
    func testBadPluginsAreRefusedWithOneLineAndNothingWritten() throws {
        let dir = Fixtures.temporaryDirectory()
        let head = { (id: String, score: String) in """
            #include <math.h>
            #include <vaepipe_plugin.h>
            static int score(void *s, const vp_head_batch *b, int64_t lo, int64_t hi, char *e, size_t n) {
                (void)s; (void)e; (void)n;
                for (int64_t r = lo; r < hi; r++) { b->nll[r] = \(score); if (b->dlogits) for (int64_t i = 0; i < b->dimension; i++) b->dlogits[r * b->dimension + i] = 0; }
                return 0;
            }
            static void mean(void *s, const float *p, const float *l, float *o, int64_t n) { (void)s; (void)p; for (int64_t i = 0; i < n; i++) o[i] = l[i] > 0; }
            static const vp_head heads[] = {{"\(id)", "test head", 0, 0, 0, 0, 0, score, mean}};
            static const vp_plugin table = {VAEPIPE_PLUGIN_ABI_VERSION, "t", "1", 1, heads, 0, 0, 0, 0};
            const vp_plugin *vaepipe_plugin(void) { return &table; }
            """ }
        let text = dir + "/notes.so"
        try "not a library".write(toFile: text, atomically: true, encoding: .utf8)
        let cases: [(String, String)] = [
            (text, "not a shared object"),
            (try PluginBuilder.c("int unrelated(void) { return 1; }", text: true, named: "noentry", in: dir), "exports no function vaepipe_plugin"),
            (try PluginBuilder.c(head("wrongabi", "1").replacingOccurrences(of: "{VAEPIPE_PLUGIN_ABI_VERSION,", with: "{99,"), text: true, named: "wrongabi", in: dir),
             "ABI version 99"),
            (try PluginBuilder.c(head("bernoulli", "1"), text: true, named: "duplicate", in: dir), "duplicate likelihood head id 'bernoulli'"),
            (try PluginBuilder.c(head("nanhead", "NAN"), text: true, named: "nanhead", in: dir), "non-finite NLL"),
            (try PluginBuilder.c(head("Bad Id", "1"), text: true, named: "badid", in: dir), "is not an id"),
            (dir + "/absent.so", "no such file"),
        ] + (try brokenFiles(in: dir, head: head)) + (try lyingTables(in: dir))
        for (so, reason) in cases {
            let runDir = dir + "/run-\((so as NSString).lastPathComponent)"
            let r = try run(["--plugin", so, "train", "--data", Fixtures.idxDirectory(train: 32, test: 8, side: 8), "--out", runDir])
            XCTAssertEqual(r.status, 1, so)
            let lines = r.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains(so) && r.stderr.contains(reason), "\(reason): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: runDir), "\(so) left \(runDir)")
        }
    }

    /// Files that are not (whole) shared objects for this machine: refused before dlopen, which
    /// would map a cut-short file's missing pages and die of SIGBUS on the first touch.
    func brokenFiles(in dir: String, head: (String, String) -> String) throws -> [(String, String)] {
        let real = try PluginBuilder.c(head("fine", "1"), text: true, named: "fine", in: dir)
        let bytes = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: real)))
        func write(_ name: String, _ b: [UInt8]) throws -> String {
            let path = dir + "/" + name
            try Data(b).write(to: URL(fileURLWithPath: path))
            return path
        }
        func patched(_ at: Int, _ value: Int, bytes count: Int) -> [UInt8] {
            var b = bytes
            for i in 0..<count { b[at + i] = UInt8((value >> (8 * i)) & 0xFF) }
            return b
        }
        let u64 = { (at: Int) in (0..<8).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
        let phoff = u64(32), phnum = Int(bytes[56]) | Int(bytes[57]) << 8
        let lastLoad = try XCTUnwrap((0..<phnum).map { phoff + $0 * 56 }.last { bytes[$0] == 1 && bytes[$0 + 1] == 0 })
        let object = dir + "/plugin.o"
        try PluginBuilder.run("clang", ["-c", "-fPIC", "-I", PluginBuilder.abiInclude, dir + "/fine.c", "-o", object])
        let executable = dir + "/program.so"
        try "int main(void) { return 0; }".write(toFile: dir + "/program.c", atomically: true, encoding: .utf8)
        try PluginBuilder.run("clang", [dir + "/program.c", "-o", executable])
        return [
            (try write("cut700.so", Array(bytes.prefix(700))), "cut short"),
            (try write("cut3000.so", Array(bytes.prefix(3000))), "cut short"),
            (try write("cuthalf.so", Array(bytes.prefix(bytes.count / 2))), "cut short"),
            (try write("cut40.so", Array(bytes.prefix(40))), "less than an ELF header"),
            (try write("pastend.so", patched(lastLoad + 32, bytes.count, bytes: 8)), "loadable segment"),
            (try write("aarch64.so", patched(18, 183, bytes: 2)), "built for AArch64 (64-bit ARM); this machine is x86-64"),
            (object, "object file (.o)"),
            (executable, "executable"),
        ]
    }

    /// Plugins that load but whose tables lie: every pointer is read through the kernel first,
    /// so a lie is an error line, not a fault.
    func lyingTables(in dir: String) throws -> [(String, String)] {
        func plugin(_ name: String, _ body: String) throws -> String {
            try PluginBuilder.c("""
                #include <string.h>
                #include <vaepipe_plugin.h>
                static int score(void *s, const vp_head_batch *b, int64_t lo, int64_t hi, char *e, size_t n) {
                    (void)s; (void)b; (void)lo; (void)hi; (void)e; (void)n; return 0;
                }
                static void mean(void *s, const float *p, const float *l, float *o, int64_t n) { (void)s; (void)p; (void)l; (void)o; (void)n; }
                \(body)
                """, text: true, named: name, in: dir)
        }
        let plain = "static const vp_head heads[] = {{\"lying\", \"test\", 0, 0, 0, 0, 0, score, mean}};"
        return [
            (try plugin("nulltable", "const vp_plugin *vaepipe_plugin(void) { return 0; }"), "returned no table (NULL)"),
            (try plugin("wildtable", "const vp_plugin *vaepipe_plugin(void) { return (const vp_plugin *)16; }"), "not readable memory"),
            (try plugin("nullscore", """
                static const vp_head heads[] = {{"lying", "test", 0, 0, 0, 0, 0, 0, mean}};
                static const vp_plugin t = {VAEPIPE_PLUGIN_ABI_VERSION, "t", "1", 1, heads, 0, 0, 0, 0};
                const vp_plugin *vaepipe_plugin(void) { return &t; }
                """), "head 'lying' has no score function (NULL)"),
            (try plugin("samefunction", """
                static const vp_head heads[] = {{"lying", "test", 0, 0, 0, 0, 0, score, (void *)score}};
                static const vp_plugin t = {VAEPIPE_PLUGIN_ABI_VERSION, "t", "1", 1, heads, 0, 0, 0, 0};
                const vp_plugin *vaepipe_plugin(void) { return &t; }
                """), "head 'lying' gives one function as both score and mean"),
            (try plugin("datafunction", """
                static char notcode[64];  // writable data: never code
                static const vp_head heads[] = {{"lying", "test", 0, 0, 0, 0, 0, score, (void *)notcode}};
                static const vp_plugin t = {VAEPIPE_PLUGIN_ABI_VERSION, "t", "1", 1, heads, 0, 0, 0, 0};
                const vp_plugin *vaepipe_plugin(void) { return &t; }
                """), "does not point at code"),
            (try plugin("hugecount", plain + """
                static const vp_plugin t = {VAEPIPE_PLUGIN_ABI_VERSION, "t", "1", 1 << 30, heads, 0, 0, 0, 0};
                const vp_plugin *vaepipe_plugin(void) { return &t; }
                """), "head_count is 1073741824"),
            (try plugin("negativecount", plain + """
                static const vp_plugin t = {VAEPIPE_PLUGIN_ABI_VERSION, "t", "1", -3, heads, 0, 0, 0, 0};
                const vp_plugin *vaepipe_plugin(void) { return &t; }
                """), "head_count is -3"),
            (try plugin("wildarray", """
                static const vp_plugin t = {VAEPIPE_PLUGIN_ABI_VERSION, "t", "1", 2, (const vp_head *)4096, 0, 0, 0, 0};
                const vp_plugin *vaepipe_plugin(void) { return &t; }
                """), "heads (2 at"),
            (try plugin("unterminated", """
                static char id[4096];
                static vp_head heads[] = {{0, "test", 0, 0, 0, 0, 0, score, mean}};
                static const vp_plugin t = {VAEPIPE_PLUGIN_ABI_VERSION, "t", "1", 1, heads, 0, 0, 0, 0};
                const vp_plugin *vaepipe_plugin(void) { memset(id, 'a', sizeof id); heads[0].id = id; return &t; }
                """), "no end within 1024 bytes"),
            (try plugin("wildstring", """
                static const vp_head heads[] = {{(const char *)8, "test", 0, 0, 0, 0, 0, score, mean}};
                static const vp_plugin t = {VAEPIPE_PLUGIN_ABI_VERSION, "t", "1", 1, heads, 0, 0, 0, 0};
                const vp_plugin *vaepipe_plugin(void) { return &t; }
                """), "head id (at 0x0000000000000008) is not readable memory"),
            (try plugin("twice", """
                static const vp_head heads[] = {{"same", "test", 0, 0, 0, 0, 0, score, mean}, {"same", "again", 0, 0, 0, 0, 0, score, mean}};
                static const vp_plugin t = {VAEPIPE_PLUGIN_ABI_VERSION, "t", "1", 2, heads, 0, 0, 0, 0};
                const vp_plugin *vaepipe_plugin(void) { return &t; }
                """), "duplicate likelihood head id 'same'"),
            (try plugin("overlap", plain + """
                static const vp_plugin t = {VAEPIPE_PLUGIN_ABI_VERSION, "t", "1", 1, heads, 1, (const vp_adapter *)heads, 0, 0};
                const vp_plugin *vaepipe_plugin(void) { return &t; }
                """), "heads and adapters point at the same memory"),
        ]
    }
}

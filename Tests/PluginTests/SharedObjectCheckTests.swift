import Foundation
import VAEPipeBuiltinPlugins
import VAEPipeTestSupport
import XCTest

/// The file check before dlopen: real libraries pass it, and each way a file can be damaged (cut
/// short, a segment past the end, another machine, not a shared object at all) is named.
final class SharedObjectCheckTests: XCTestCase {
    static let plugin: [UInt8] = {
        let dir = Fixtures.temporaryDirectory()
        let so = try! PluginBuilder.c(PluginBuilder.root + "/Samples/Plugins/laplace-head/laplace_head.c", named: "laplace", in: dir)
        return [UInt8](FileManager.default.contents(atPath: so)!)
    }()

    static func u16(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) | Int(b[at + 1]) << 8 }
    static func u64(_ b: [UInt8], _ at: Int) -> Int { (0..<8).reduce(0) { $0 | Int(b[at + $1]) << (8 * $1) } }
    static func put(_ b: inout [UInt8], _ at: Int, _ value: Int, bytes: Int) { for i in 0..<bytes { b[at + i] = UInt8((value >> (8 * i)) & 0xFF) } }
    /// The file offsets of the program headers of `type`.
    static func headers(_ b: [UInt8], type: Int) -> [Int] {
        let phoff = u64(b, 32), phnum = u16(b, 56)
        return (0..<phnum).map { phoff + $0 * 56 }.filter { Int(b[$0]) | Int(b[$0 + 1]) << 8 == type }
    }

    func testRealLibrariesPass() throws {
        XCTAssertNil(SharedObjectCheck.problem(in: Self.plugin))
        let candidates = ["/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6",
                          "/usr/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libpng16.so.16",
                          "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"]
        var checked = 0
        for path in candidates {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            XCTAssertNil(SharedObjectCheck.problem(in: [UInt8](data)), path)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 2, "too few system libraries found to check")
    }

    /// Every prefix of a real plugin (a copy that stopped anywhere) is refused.
    func testEveryCutShortCopyIsRefused() {
        let full = Self.plugin
        for length in stride(from: 0, to: full.count, by: 53) + [700, 3000, full.count - 1] {
            let problem = SharedObjectCheck.problem(in: Array(full.prefix(length)))
            XCTAssertNotNil(problem, "\(length) of \(full.count) bytes passed")
            if length >= 64 { XCTAssertTrue(problem?.contains("cut short") == true, "\(length): \(problem ?? "")") }
        }
    }

    /// The cut-short copies of a real library that made dlopen die of SIGBUS (issue 22).
    func testCutShortSystemLibraryIsRefused() throws {
        let path = "/usr/lib/x86_64-linux-gnu/libpng16.so.16"
        guard let data = FileManager.default.contents(atPath: path) else { throw XCTSkip("\(path) is absent") }
        let full = [UInt8](data)
        XCTAssertNil(SharedObjectCheck.problem(in: full))
        for length in [700, 3000, 20_000, 60_000] where length < full.count {
            XCTAssertTrue(SharedObjectCheck.problem(in: Array(full.prefix(length)))?.contains("cut short") == true, "\(length)")
        }
    }

    func testDamagedHeadersAreNamed() throws {
        let full = Self.plugin
        func patched(_ change: (inout [UInt8]) -> Void) -> String {
            var b = full
            change(&b)
            return SharedObjectCheck.problem(in: b) ?? "passed"
        }
        let load = try XCTUnwrap(Self.headers(full, type: 1).last)
        let dynamic = try XCTUnwrap(Self.headers(full, type: 2).first)
        let cases: [(String, (inout [UInt8]) -> Void)] = [
            ("loadable segment", { Self.put(&$0, load + 32, full.count, bytes: 8) }),       // p_filesz past the end
            ("loadable segment", { Self.put(&$0, load + 8, 1 << 40, bytes: 8) }),           // p_offset far away
            ("more of the file", { Self.put(&$0, load + 40, 1, bytes: 8) }),                // p_memsz under p_filesz
            ("program header table", { Self.put(&$0, 32, full.count - 60, bytes: 8) }),   // e_phoff near the end
            ("built for AArch64", { Self.put(&$0, 18, 183, bytes: 2) }),
            ("32-bit ELF", { $0[4] = 1 }),
            ("big-endian", { $0[5] = 2 }),
            ("an executable", { Self.put(&$0, 16, 2, bytes: 2) }),
            ("object file", { Self.put(&$0, 16, 1, bytes: 2) }),
            ("no dynamic section", { Self.put(&$0, dynamic, 0, bytes: 4) }),
            ("dynamic section is not inside", { Self.put(&$0, dynamic + 16, 1 << 30, bytes: 8) }),
            ("no program headers", { Self.put(&$0, 56, 0, bytes: 2) }),
        ]
        for (expected, change) in cases {
            let problem = patched(change)
            XCTAssertTrue(problem.contains(expected), "expected '\(expected)', got: \(problem)")
        }
    }

    /// The machine names a user reads in the error.
    func testMachineNames() {
        XCTAssertEqual(SharedObjectCheck.machineName(183), "AArch64 (64-bit ARM)")
        XCTAssertEqual(SharedObjectCheck.machineName(62), "x86-64")
        XCTAssertEqual(SharedObjectCheck.machineName(9999), "ELF machine 9999")
    }
}

import Foundation
import XCTest

/// Runs the built `vaepipe` binary, as a user would.
class CLITestCase: XCTestCase {
    struct Result { var status: Int32; var stdout: String; var stderr: String }

    var binary: URL {
        // XCTest bundles live in the products directory, beside the executable.
        let dir = Bundle.main.bundleURL.pathExtension == "xctest" ? Bundle.main.bundleURL.deletingLastPathComponent() : Bundle.main.bundleURL
        return dir.appendingPathComponent("vaepipe")
    }

    /// The binary's environment: this process's, except that under AddressSanitizer
    /// (Scripts/sanitize.sh) the child skips LeakSanitizer. A command that fails ends in exit()
    /// with its error still held, which LeakSanitizer reports as a leak and which would break the
    /// one-line-error checks; leaks are looked for in this test process, which frees everything.
    var childEnvironment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        if let asan = env["ASAN_OPTIONS"] { env["ASAN_OPTIONS"] = asan + ":detect_leaks=0" }
        return env
    }

    @discardableResult
    func run(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> Result {
        try run(at: binary.path, args)
    }

    /// Runs another vaepipe-like binary (one built on VAEPipeKit), with `environment` added.
    func run(at executable: String, _ args: [String], environment: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        p.environment = childEnvironment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    func pngSize(_ path: String) throws -> (Int, Int) {
        let d = try XCTUnwrap(FileManager.default.contents(atPath: path), path)
        XCTAssertEqual(Array(d.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        func be32(_ o: Int) -> Int { d[o..<(o + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (be32(16), be32(20))
    }

    /// Starts `vaepipe` without waiting; output is discarded (nobody reads the pipes).
    func start(_ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        p.environment = childEnvironment
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Polls until `condition` holds (true) or `seconds` pass (false).
    func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(2_000)
        }
        return condition()
    }
}

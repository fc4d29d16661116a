import Foundation
import XCTest

/// Runs a Python snippet that reads vaepipe's files with the real libraries (tensorboard, numpy,
/// safetensors) and prints JSON, with `python3` from PATH or VAEPIPE_PYTHON. Where Python or a
/// library is missing the test is skipped with the pip command that adds it; .ci/run sets VAEPIPE_REQUIRE_PYTHON_READERS=1 so that CI fails
/// instead of quietly skipping.
public enum PythonReader {
    public static let missingModules: Int32 = 77

    public static func run(_ script: String, arguments: [String], needs modules: [String]) throws -> Any {
        let check = """
        import importlib.util, json, sys
        missing = [m for m in \(modules) if importlib.util.find_spec(m) is None]
        if missing:
            print(" ".join(missing))
            sys.exit(\(missingModules))

        """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let python = ProcessInfo.processInfo.environment["VAEPIPE_PYTHON"] ?? "python3"
        p.arguments = [python, "-c", check + script] + arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let stdout = String(decoding: o, as: UTF8.self), stderr = String(decoding: e, as: UTF8.self)

        let absent: String? = switch p.terminationStatus {
        case 127: "\(python) is not on PATH"
        case missingModules: "Python packages missing: \(stdout.trimmingCharacters(in: .whitespacesAndNewlines))"
        default: nil
        }
        if let absent {
            let message = "\(absent) (python3 -m pip install \(modules.joined(separator: " ")))"
            if ProcessInfo.processInfo.environment["VAEPIPE_REQUIRE_PYTHON_READERS"] == "1" {
                XCTFail(message + "; VAEPIPE_REQUIRE_PYTHON_READERS=1 requires them")
            }
            throw XCTSkip(message)
        }
        guard p.terminationStatus == 0 else {
            throw Failure(description: "\(python) exited \(p.terminationStatus): \(stderr)")
        }
        let lastLine = stdout.split(separator: "\n").last.map(String.init) ?? ""
        return try JSONSerialization.jsonObject(with: Data(lastLine.utf8))
    }

    public struct Failure: Error, CustomStringConvertible { public var description: String }
}

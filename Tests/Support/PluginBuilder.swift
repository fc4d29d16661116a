import Foundation

/// Builds run-time plugins for the tests, with the compilers a Swift toolchain brings.
public enum PluginBuilder {
    /// The repository, from this file's path.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    public static let abiInclude = root + "/Sources/CVAEPipePlugin/include"

    public struct BuildFailed: Error, CustomStringConvertible { public let description: String }

    /// Compiles C `source` (a path, or the text itself when `text` is true) into a shared object in `directory`.
    public static func c(_ source: String, text: Bool = false, named name: String, in directory: String, libraries: [String] = ["m"]) throws -> String {
        var file = source
        if text {
            file = directory + "/\(name).c"
            try source.write(toFile: file, atomically: true, encoding: .utf8)
        }
        let out = directory + "/lib\(name).so"
        try run("clang", ["-O2", "-fPIC", "-shared", "-I", abiInclude, file, "-o", out] + libraries.map { "-l" + $0 })
        return out
    }

    /// Compiles a Swift plugin source with swiftc.
    public static func swift(_ source: String, module: String, in directory: String) throws -> String {
        let out = directory + "/lib\(module).so"
        try run("swiftc", ["-emit-library", "-O", "-parse-as-library", "-module-name", module, "-I", abiInclude, source, "-o", out,
                           "-module-cache-path", directory + "/module-cache"])
        return out
    }

    public static func run(_ tool: String, _ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + arguments
        // One pipe for both: swift build reports compile errors on standard output.
        let err = Pipe()
        p.standardError = err
        p.standardOutput = err
        try p.run()
        let message = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw BuildFailed(description: "\(tool) \(arguments.joined(separator: " ")) failed: \(String(decoding: message, as: UTF8.self))")
        }
    }
}

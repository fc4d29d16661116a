import Foundation

/// The errors vaepipe's own code raises. Each names the file or thing at fault and the reason,
/// and prints as one line.
public enum VAEPipeError: Error, CustomStringConvertible, Equatable {
    case missingPath(String)
    case unrecognizedData(path: String, tried: [String])
    case unknownPlugin(kind: String, id: String, known: [String])
    case badFile(path: String, reason: String)
    case noUsableImages(path: String, skipped: Int, examples: [SkippedFile])
    case badCheckpoint(path: String, reason: String)
    case invalidOption(String)
    case trainingDiverged(epoch: Int, step: Int, lastGood: String? = nil)
    case io(path: String, reason: String)
    /// A shared object given to --plugin (or found in VAEPIPE_PLUGIN_PATH) that cannot be used.
    case badPlugin(path: String, reason: String)
    /// What a plugin reported about the data it was given (it names the file at fault itself).
    case pluginReported(String)
    /// A run or checkpoint made with a plugin that is not loaded now.
    case missingPlugin(kind: String, id: String, recorded: String)

    public var description: String {
        switch self {
        case .missingPath(let p): return "\(p): no such file or directory"
        case .unrecognizedData(let p, let tried):
            return "\(p): not a dataset vaepipe can read (tried: \(tried.joined(separator: ", ")))"
        case .unknownPlugin(let kind, let id, let known):
            return "unknown \(kind) '\(id)' (known: \(known.joined(separator: ", ")))"
        case .badFile(let p, let r): return "\(p): \(r)"
        case .noUsableImages(let p, let n, let examples):
            let shown = examples.prefix(3).map { "\($0.path): \($0.reason)" }.joined(separator: "; ")
            return n == 0 ? "\(p): no PNG or JPEG images found"
                : "\(p): no usable images (\(n) skipped; \(shown))"
        case .badCheckpoint(let p, let r): return "\(p): not a usable checkpoint: \(r)"
        case .invalidOption(let m): return m
        case .trainingDiverged(let e, let s, let lastGood):
            return "training diverged: the loss became NaN or infinite at epoch \(e), step \(s); "
                + (lastGood.map { "the last good checkpoint is kept in \($0)" } ?? "no checkpoint had been written yet")
                + " (try a lower --lr)"
        case .io(let p, let r): return "\(p): \(r)"
        case .badPlugin(let p, let r): return "\(p): not a usable vaepipe plugin: \(r)"
        case .pluginReported(let m): return m
        case .missingPlugin(let kind, let id, let recorded):
            return "this run needs the \(kind) '\(id)' from \(recorded), which is not loaded: pass --plugin PATH "
                + "(or put it in a directory of VAEPIPE_PLUGIN_PATH)"
        }
    }
}

func fileExists(_ path: String, isDirectory: inout Bool) -> Bool {
    var dir: ObjCBool = false
    let ok = FileManager.default.fileExists(atPath: path, isDirectory: &dir)
    isDirectory = dir.boolValue
    return ok
}

/// Calls a C function that reports failure with a non-zero status and a one-line message in the
/// buffer it is handed (a plugin's functions, the MPI shim): the message, or nil on success.
public func failureMessage(_ body: (UnsafeMutablePointer<CChar>, Int) -> Int32) -> String? {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 512) { buffer in
        buffer.initialize(repeating: 0)
        let status = body(buffer.baseAddress!, buffer.count)
        guard status != 0 else { return nil }
        buffer[buffer.count - 1] = 0
        let message = String(cString: buffer.baseAddress!)
        return message.isEmpty ? "failed (status \(status)) without saying why" : message
    }
}

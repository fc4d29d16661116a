import Foundation

/// Decodes one example on demand; what an adapter gives `StreamedImages` so a folder of any
/// size is served without holding it. Called from several decode workers at once.
public protocol ImageLoader: Sendable {
    var shape: ImageShape { get }
    var count: Int { get }
    /// The file behind example `index`, for reports.
    func path(_ index: Int) -> String
    /// Writes example `index` as `shape.count` interleaved 8-bit values, or throws a reason
    /// (`VAEPipeError.badFile`) when its file cannot be used.
    func load(_ index: Int, into out: UnsafeMutablePointer<UInt8>) throws
}

/// A set of images decoded from their files whenever a batch needs them. Files are checked
/// cheaply (headers) before training, but data can still be broken past the header: such a
/// file is reported once and, under `--on-bad-file skip`, every request for it is served the
/// next example (cyclically) that decodes. That substitute depends only on the files, never on
/// which worker asked first, so batches stay identical for any number of workers.
public final class StreamedImages: @unchecked Sendable {
    public let loader: any ImageLoader
    /// The folder (or file) the images come from, for errors about the set as a whole.
    public let source: String
    public let policy: BadFilePolicy
    /// Decode threads a batcher should run for this set.
    public let workers: Int
    private let lock = NSLock()
    private var bad: [Int: String] = [:]

    public init(loader: any ImageLoader, source: String, policy: BadFilePolicy, workers: Int) {
        self.loader = loader
        self.source = source
        self.policy = policy
        self.workers = max(1, workers)
    }

    public var shape: ImageShape { loader.shape }
    public var count: Int { loader.count }

    /// Files that failed to decode so far, in file order.
    public var skipped: [SkippedFile] {
        lock.withLock { bad.sorted { $0.key < $1.key }.map { SkippedFile(path: loader.path($0.key), reason: $0.value) } }
    }

    /// Writes example `index`'s pixels to `out`, or its substitute's when its file is broken.
    public func pixels(_ index: Int, into out: UnsafeMutablePointer<UInt8>) throws {
        var i = index
        for _ in 0..<count {
            if try load(i, into: out) { return }
            i = (i + 1) % count
        }
        throw VAEPipeError.noUsableImages(path: source, skipped: count, examples: Array(skipped.prefix(3)))
    }

    /// False when the file is (now known to be) broken and skipped.
    private func load(_ i: Int, into out: UnsafeMutablePointer<UInt8>) throws -> Bool {
        if lock.withLock({ bad[i] != nil }) { return false }
        do {
            try loader.load(i, into: out)
            return true
        } catch {
            let reason = switch error {
            case VAEPipeError.badFile(_, let reason): reason
            default: "\(error)"
            }
            lock.withLock { bad[i] = reason }
            if policy == .fail { throw VAEPipeError.badFile(path: loader.path(i), reason: reason + BadFilePolicy.failHint) }
            return false
        }
    }
}

extension BadFilePolicy {
    /// Appended to the error that `--on-bad-file fail` stops with.
    public static let failHint = " (stopped by --on-bad-file fail; --on-bad-file skip would leave it out)"
}

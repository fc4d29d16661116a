import Foundation

/// Writes a run's scalars and galleries as a TensorBoard event file in `directory` (RUN_DIR/tb),
/// which `tensorboard --logdir` reads.
///
/// Every writer starts a new file, `events.out.tfevents.<unix time>.<host>`, and only appends
/// to it: a resumed run adds a file beside the old ones rather than rewriting them, as
/// TensorFlow does on restart. Events are held in memory until `flush()`, which writes and
/// fsyncs them; call it once an epoch so a killed run leaves whole epochs behind. Readers stop
/// at a record torn by a kill at the end of a file and keep everything before it.
public final class TensorBoardWriter {
    public let path: String
    private var fd: Int32
    private var pending: [UInt8] = []

    /// `resumingAt`: the first step this writer will log when continuing an interrupted run
    /// (nil for a new run). TensorBoard then hides whatever the old files hold from that step on
    /// (epochs logged after the last checkpoint, which the resumed run repeats).
    public init(directory: String, resumingAt step: Int? = nil) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw VAEPipeError.io(path: directory, reason: "cannot create the TensorBoard directory")
        }
        (path, fd) = try Self.createFile(in: directory, time: Date().timeIntervalSince1970)
        append(TensorBoardEvent.fileVersion(wallTime: Self.now))
        append(TensorBoardEvent.sessionStart(wallTime: Self.now, step: step ?? 0))
        try flush()
    }

    deinit {
        try? close()
    }

    /// Stored as a 32-bit float, TensorBoard's `simple_value`.
    public func scalar(_ tag: String, _ value: Double, step: Int) {
        append(TensorBoardEvent.scalar(tag, Float(value), step: step, wallTime: Self.now))
    }

    /// `png`: encoded PNG bytes of a `width` x `height` image with `channels` (1-4) channels.
    public func image(_ tag: String, png: [UInt8], width: Int, height: Int, channels: Int, step: Int) {
        precondition((1...4).contains(channels), "TensorBoard images have 1 to 4 channels")
        append(TensorBoardEvent.image(tag, png: png, width: width, height: height, channels: channels,
                                      step: step, wallTime: Self.now))
    }

    /// Writes the pending events and fsyncs the file.
    public func flush() throws {
        precondition(fd >= 0, "flush after close")
        var written = 0
        defer { pending.removeFirst(written) }
        while written < pending.count {
            let n = pending.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw VAEPipeError.io(path: path, reason: String(cString: strerror(errno)))
            }
            written += n
        }
        guard fsync(fd) == 0 else { throw VAEPipeError.io(path: path, reason: String(cString: strerror(errno))) }
    }

    /// Flushes and closes the file; later calls do nothing.
    public func close() throws {
        guard fd >= 0 else { return }
        defer { Foundation.close(fd); fd = -1 }
        try flush()
    }

    private func append(_ event: [UInt8]) {
        TFRecord.append(event, to: &pending)
    }

    private static var now: Double { Date().timeIntervalSince1970 }

    /// O_EXCL, so two writers started in the same second (a quick resume) never share a file:
    /// the later one takes a ".1", ".2", ... suffix, which also sorts after the first.
    static func createFile(in directory: String, time: Double) throws -> (String, Int32) {
        // Zero-padded like TensorFlow's %010d, so names sort by time.
        let seconds = String(Int(time))
        let base = "\(directory)/events.out.tfevents.\(String(repeating: "0", count: max(0, 10 - seconds.count)))\(seconds).\(hostName)"
        for attempt in 0..<1000 {
            let candidate = attempt == 0 ? base : "\(base).\(attempt)"
            let fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
            if fd >= 0 { return (candidate, fd) }
            if errno != EEXIST { throw VAEPipeError.io(path: candidate, reason: String(cString: strerror(errno))) }
        }
        throw VAEPipeError.io(path: base, reason: "a thousand event files already exist for this second")
    }

    static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let name = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "/", with: "_")
        return name.isEmpty ? "localhost" : name
    }
}

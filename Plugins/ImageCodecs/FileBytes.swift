#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads and atomic writes with POSIX calls, so each failure can be named.
enum FileBytes {
    static func contents(atPath path: String) throws(ImageCodecError) -> [UInt8] {
        try load(atPath: path, upTo: nil)
    }

    /// Up to the first `count` bytes (fewer for a shorter file), with the same errors as `contents`.
    static func prefix(atPath path: String, count: Int) throws(ImageCodecError) -> [UInt8] {
        try load(atPath: path, upTo: count)
    }

    private static func load(atPath path: String, upTo limit: Int?) throws(ImageCodecError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(path, errno, doing: "cannot open") }
        defer { close(fd) }
        // A prefix needs no stat: read() on a directory fails with EISDIR, named below. A whole
        // file is sized by it, one byte past, so the read that returns 0 needs no regrowth.
        var size = limit ?? 1 << 16, expected = Int.max
        if limit == nil {
            var info = stat()
            guard fstat(fd, &info) == 0 else { throw failure(path, errno, doing: "cannot stat") }
            // open() succeeds on a directory on Linux; only read() would fail, with a vaguer message.
            guard info.st_mode & S_IFMT != S_IFDIR else { throw failure(path, EISDIR, doing: "cannot read") }
            if info.st_mode & S_IFMT == S_IFREG { expected = Int(info.st_size); size = expected + 1 }
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        // A regular file is done when it has given its stat size: no extra read to see EOF.
        while filled < (limit ?? Int.max) && !(filled == expected && expected > 0) {
            if filled == bytes.count {
                bytes.append(contentsOf: repeatElement(0, count: min(bytes.count, (limit ?? Int.max) - filled)))
            }
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure(path, errno, doing: "cannot read")
            }
            filled += n
        }
        guard filled > 0 else { throw ImageCodecError(path: path, reason: "empty file") }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }

    /// A temp file beside the target, then rename(2): readers never see a half-written file,
    /// and a failed write leaves the previous file in place.
    static func writeAtomically(_ bytes: [UInt8], toPath path: String) throws(ImageCodecError) {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let temp = "\(directory).\(name).\(getpid()).\(UInt32.random(in: .min ... .max)).tmp"

        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(path, errno, doing: "cannot create a temporary file") }
        var written = 0
        var code: Int32 = 0
        while written < bytes.count && code == 0 {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n >= 0 { written += n } else if errno != EINTR { code = errno }
        }
        // Without fsync a crash after rename can leave an empty file under the final name.
        if code == 0 && fsync(fd) != 0 { code = errno }
        if close(fd) != 0 && code == 0 { code = errno }
        if code == 0 && rename(temp, path) != 0 { code = errno }
        if code != 0 {
            unlink(temp)
            throw failure(path, code, doing: "cannot write")
        }
    }

    static func failure(_ path: String, _ code: Int32, doing action: String) -> ImageCodecError {
        let reason = switch code {
        case ENOENT: "no such file or directory"
        case EACCES, EPERM: "permission denied"
        case EISDIR: "is a directory, not an image file"
        default: "\(action) (\(String(cString: strerror(code))))"
        }
        return ImageCodecError(path: path, reason: reason)
    }
}

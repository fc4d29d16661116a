import Foundation

/// Writes a file so that readers see the old contents or the new, never a mix: the bytes go
/// to a temporary file in the same directory, are flushed to disk, then renamed over the target
/// (rename is atomic within a file system).
public enum AtomicFile {
    public static func write(_ bytes: UnsafeRawBufferPointer, to path: String) throws {
        let tmp = "\(path).tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw VAEPipeError.io(path: path, reason: String(cString: strerror(errno))) }
        var written = 0
        while written < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + written, bytes.count - written)
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                close(fd); unlink(tmp)
                throw VAEPipeError.io(path: path, reason: reason)
            }
            written += n
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard synced, rename(tmp, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(tmp)
            throw VAEPipeError.io(path: path, reason: reason)
        }
    }

    public static func write(_ data: Data, to path: String) throws {
        try data.withUnsafeBytes { try write($0, to: path) }
    }
}

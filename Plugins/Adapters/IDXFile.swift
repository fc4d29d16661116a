import CZlib
import Foundation
import VAEPipeCore

/// An unsigned-byte IDX array (LeCun's MNIST format): a 4-byte magic 00 00 08 NDIM, NDIM
/// big-endian UInt32 dimensions, then the bytes. Raw or gzip'd: zlib's gzread passes
/// uncompressed files through unchanged, so one reader serves both.
public struct IDXFile {
    public var dimensions: [Int]
    public var bytes: [UInt8]

    /// Refuses headers declaring more than this, before allocating (a corrupt header is not a
    /// reason to ask for terabytes).
    public static let maximumBytes = 1 << 34

    public static func read(path: String) throws -> IDXFile {
        func bad(_ reason: String) -> VAEPipeError { .badFile(path: path, reason: reason) }
        guard FileManager.default.fileExists(atPath: path) else { throw VAEPipeError.missingPath(path) }
        guard let file = gzopen(path, "rb") else {
            throw bad("cannot be opened (\(String(cString: strerror(errno))))")
        }
        defer { gzclose(file) }

        var magic = [UInt8](repeating: 0, count: 4)
        guard try readFully(file, into: &magic, count: 4, path: path) == 4 else {
            throw bad("too short for an IDX header")
        }
        guard magic[0] == 0, magic[1] == 0 else {
            throw bad(String(format: "not an IDX file (magic %02X %02X %02X %02X)", magic[0], magic[1], magic[2], magic[3]))
        }
        guard magic[2] == 0x08 else {
            throw bad(String(format: "IDX data type 0x%02X is not supported (only unsigned bytes, 0x08)", magic[2]))
        }
        let ndim = Int(magic[3])
        guard (1...4).contains(ndim) else { throw bad("IDX header declares \(ndim) dimensions") }
        var dimBytes = [UInt8](repeating: 0, count: 4 * ndim)
        guard try readFully(file, into: &dimBytes, count: 4 * ndim, path: path) == 4 * ndim else {
            throw bad("IDX header is truncated")
        }
        let dims = (0..<ndim).map { i in
            dimBytes[(4 * i)..<(4 * i + 4)].reduce(0) { $0 << 8 | Int($1) }
        }
        var expected = 1
        for d in dims {
            let (p, overflow) = expected.multipliedReportingOverflow(by: d)
            guard !overflow, p <= maximumBytes else { throw bad("IDX header declares dimensions \(dims), too large") }
            expected = p
        }
        // The header is only a claim: memory grows with the data that actually arrives (a few
        // bytes declaring 16 GiB get a 16 MiB buffer, then "truncated").
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(expected, 1 << 26))
        var chunk = [UInt8](repeating: 0, count: min(expected, 1 << 24))
        while bytes.count < expected {
            let want = min(chunk.count, expected - bytes.count)
            let got = try readFully(file, into: &chunk, count: want, path: path)
            bytes.append(contentsOf: chunk[0..<got])
            if got < want { break }
        }
        guard bytes.count == expected else {
            throw bad("has \(bytes.count) bytes of data but its header (dimensions \(dims)) says \(expected): truncated")
        }
        var extra: UInt8 = 0
        if gzread(file, &extra, 1) > 0 {
            throw bad("has more data than its header (dimensions \(dims)) says")
        }
        return IDXFile(dimensions: dims, bytes: bytes)
    }

    /// Reads up to `count` bytes; returns how many arrived. Throws on a zlib error (corrupt gzip).
    private static func readFully(_ file: gzFile, into buffer: inout [UInt8], count: Int, path: String) throws -> Int {
        var total = 0
        try buffer.withUnsafeMutableBytes { raw in
            while total < count {
                let chunk = UInt32(min(count - total, 1 << 30))
                let n = gzread(file, raw.baseAddress! + total, chunk)
                if n < 0 {
                    var code: Int32 = 0
                    let message = String(cString: gzerror(file, &code))
                    throw VAEPipeError.badFile(path: path, reason: "corrupt gzip data (\(message))")
                }
                if n == 0 { break }
                total += Int(n)
            }
        }
        return total
    }

    /// True when the first bytes (decompressed if gzip'd) look like an unsigned-byte IDX header.
    public static func sniff(path: String) -> Bool {
        guard let file = gzopen(path, "rb") else { return false }
        defer { gzclose(file) }
        var magic = [UInt8](repeating: 0, count: 4)
        guard gzread(file, &magic, 4) == 4 else { return false }
        return magic[0] == 0 && magic[1] == 0 && magic[2] == 0x08 && (1...4).contains(magic[3])
    }
}

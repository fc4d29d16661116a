import Foundation
import VAEPipeCore

/// A fingerprint of the files a dataset was read from (the adapter's own list): FNV-1a (64-bit)
/// over each file's path relative to the data path and its size. Cheap (a stat per file, no
/// reading), stable under copies, and it changes when files are added, removed, renamed or resized.
enum RunFingerprint {
    struct Value: Equatable {
        var hash: UInt64
        var files: Int
        var bytes: Int
        var text: String { String(format: "fnv1a64:%016llx", hash) }
    }

    static func compute(_ dataset: Dataset) -> Value {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ s: String) { for b in s.utf8 { hash = (hash ^ UInt64(b)) &* 0x0000_0100_0000_01B3 } }
        let root = dataset.source.hasSuffix("/") ? dataset.source : dataset.source + "/"
        var bytes = 0
        for path in dataset.files {
            var info = stat()
            let size = stat(path, &info) == 0 ? Int(info.st_size) : -1
            mix(path.hasPrefix(root) ? String(path.dropFirst(root.count)) : (path as NSString).lastPathComponent)
            mix("\t\(size)\n")
            bytes += max(size, 0)
        }
        return Value(hash: hash, files: dataset.files.count, bytes: bytes)
    }
}

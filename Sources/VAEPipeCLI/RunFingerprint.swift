import Foundation

/// A fingerprint of the files under a data path: FNV-1a (64-bit) over each file's relative
/// path and size, in sorted order. Cheap (a directory walk, no reading), stable under copies,
/// and it changes when files are added, removed, renamed or resized.
enum RunFingerprint {
    struct Value: Equatable {
        var hash: UInt64
        var files: Int
        var bytes: Int
        var text: String { String(format: "fnv1a64:%016llx", hash) }
    }

    static func compute(_ path: String) -> Value {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ s: String) { for b in s.utf8 { hash = (hash ^ UInt64(b)) &* 0x0000_0100_0000_01B3 } }
        var files = 0, bytes = 0
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else { return Value(hash: hash, files: 0, bytes: 0) }
        let entries: [String]
        if isDir.boolValue {
            entries = ((fm.enumerator(atPath: path)?.allObjects as? [String]) ?? []).sorted()
        } else {
            entries = [""]
        }
        for rel in entries where !rel.split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
            let full = rel.isEmpty ? path : (path as NSString).appendingPathComponent(rel)
            guard let attrs = try? fm.attributesOfItem(atPath: full),
                  attrs[.type] as? FileAttributeType == .typeRegular else { continue }
            let size = (attrs[.size] as? NSNumber)?.intValue ?? 0
            mix(rel.isEmpty ? (path as NSString).lastPathComponent : rel)
            mix("\t\(size)\n")
            files += 1; bytes += size
        }
        return Value(hash: hash, files: files, bytes: bytes)
    }
}

import CVAEPipePlugin

/// A plugin's table read without trusting its pointers: each struct, array and string is copied
/// out through the kernel (vp_probe_copy), so a pointer to nowhere or a string with no end is an
/// error naming the field, not a fault inside vaepipe.
enum PluginMemory {
    /// The longest string a table may hold: ids and names are short, summaries a line.
    static let maxString = 1024

    /// `count` values of T at `p`, or nil when any of them is not readable memory.
    static func copy<T>(_ p: UnsafePointer<T>?, count: Int = 1) -> [T]? {
        guard let p, count > 0, count <= 1 << 16 else { return count == 0 ? [] : nil }
        let bytes = MemoryLayout<T>.stride * count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: MemoryLayout<T>.alignment)
        defer { raw.deallocate() }
        guard vp_probe_copy(p, raw, bytes) == bytes else { return nil }
        let typed = raw.bindMemory(to: T.self, capacity: count)
        return Array(UnsafeBufferPointer(start: typed, count: count))
    }

    enum StringProblem: Error { case null, unreadable, unterminated, notUTF8 }

    /// The NUL-terminated string at `p`, at most `maxString` bytes before its NUL.
    static func string(_ p: UnsafePointer<CChar>?) -> Result<String, StringProblem> {
        guard let p else { return .failure(.null) }
        var bytes = [UInt8](repeating: 0, count: maxString + 1)
        let got = bytes.withUnsafeMutableBytes { vp_probe_copy(p, $0.baseAddress, maxString + 1) }
        guard let end = bytes[0..<got].firstIndex(of: 0) else { return .failure(got == maxString + 1 ? .unterminated : .unreadable) }
        guard let s = String(validating: bytes[0..<end], as: UTF8.self) else { return .failure(.notUTF8) }
        return .success(s)
    }

    /// Whether a function pointer of the table points at code of a loaded object.
    static func isCode(_ p: UnsafeRawPointer?) -> Bool { p.map { vp_probe_is_code($0) == 1 } ?? false }
}

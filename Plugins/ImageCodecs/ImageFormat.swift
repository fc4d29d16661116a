/// The image formats vaepipe can decode, told apart by their first bytes.
public enum ImageFormat: String, Sendable, CaseIterable {
    case png, jpeg

    /// Sniffs magic bytes (never the extension). PNG: 89 50 4E 47 0D 0A 1A 0A; JPEG: FF D8 FF.
    public static func sniff(_ prefix: some Collection<UInt8>) -> ImageFormat? {
        for format in allCases where prefix.starts(with: format.magic) {
            return format
        }
        return nil
    }

    /// Why bytes that are neither PNG nor JPEG cannot be used, as precisely as their first
    /// bytes and the file name allow: another image format, text, or unknown.
    static func unrecognized(_ prefix: some Collection<UInt8>, path: String) -> ImageCodecError {
        let head = Array(prefix.prefix(512))
        let fileName = path.split(separator: "/").last ?? ""
        let named = fileName.contains(".") ? "named .\(fileName.split(separator: ".").last!) but " : ""
        let what: String
        if let other = otherFormat(head) {
            what = "a \(other) image (vaepipe reads PNG and JPEG)"
        } else if !head.isEmpty && head.allSatisfy({ $0 == 9 || $0 == 10 || $0 == 13 || (32..<127).contains($0) || $0 >= 0x80 }) {
            what = "it holds text"
        } else {
            let digits = Array("0123456789abcdef")
            what = "it starts with bytes " + head.prefix(4).map { String([digits[Int($0 >> 4)], digits[Int($0 & 15)]]) }
                .joined(separator: " ")
        }
        return ImageCodecError(path: path, reason: "not a PNG or JPEG file: " + named + what)
    }

    /// Image formats vaepipe does not decode, named so the reason says what the file is.
    static func otherFormat(_ b: [UInt8]) -> String? {
        func at(_ o: Int, _ s: String) -> Bool { b.count >= o + s.utf8.count && b[o..<(o + s.utf8.count)].elementsEqual(Array(s.utf8)) }
        if at(0, "GIF8") { return "GIF" }
        if at(0, "BM") { return "BMP" }
        if at(0, "RIFF") && at(8, "WEBP") { return "WebP" }
        if at(0, "II*\u{0}") || at(0, "MM\u{0}*") { return "TIFF" }
        if at(4, "ftypheic") || at(4, "ftypheix") || at(4, "ftypmif1") { return "HEIC" }
        if at(4, "ftypavif") { return "AVIF" }
        return nil
    }

    var magic: [UInt8] {
        switch self {
        case .png: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        case .jpeg: [0xFF, 0xD8, 0xFF]
        }
    }
}

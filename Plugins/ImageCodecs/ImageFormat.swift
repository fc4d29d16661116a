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

    var magic: [UInt8] {
        switch self {
        case .png: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        case .jpeg: [0xFF, 0xD8, 0xFF]
        }
    }
}

/// A PNG's IHDR and whether a tRNS chunk comes before the image data, read in Swift: enough
/// to know the decoded channel count, so a decode makes a single pass through libpng.
struct PNGHeader: Equatable {
    var width: Int
    var height: Int
    var bitDepth: Int
    var colourType: Int
    var interlaced: Bool
    var hasTRNS: Bool

    /// Channels after vp_png_decode's expansions: palettes to RGB, tRNS to alpha.
    var channels: Int {
        switch colourType {
        case 0: hasTRNS ? 2 : 1
        case 4: 2
        case 6: 4
        default: hasTRNS ? 4 : 3    // RGB, palette
        }
    }

    var colour: ColourModel {
        switch colourType {
        case 0: hasTRNS ? .grayAlpha : .gray
        case 4: .grayAlpha
        case 6: .rgba
        case 3: hasTRNS ? .paletteAlpha : .palette
        default: hasTRNS ? .rgba : .rgb
        }
    }

    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    static let validDepths: [Int: Set<Int>] = [0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]]

    /// nil when `bytes` is a prefix that ends before the image data (read more and call again);
    /// throws when the whole file (`complete`) does, or IHDR is invalid.
    static func parse(_ b: [UInt8], complete: Bool, path: String) throws(ImageCodecError) -> PNGHeader? {
        func fail(_ why: String) -> ImageCodecError { ImageCodecError(path: path, reason: why) }
        func u32(_ o: Int) -> Int { Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3]) }
        guard b.starts(with: signature) else { throw fail("not a PNG file") }
        guard b.count >= 33 else {
            if complete { throw fail("truncated PNG data (it ends inside its header)") }
            return nil
        }
        guard u32(8) == 13, b[12..<16].elementsEqual(Array("IHDR".utf8)) else {
            throw fail("corrupt PNG data (the first chunk is not a 13-byte IHDR)")
        }
        let width = u32(16), height = u32(20), depth = Int(b[24]), type = Int(b[25])
        guard width > 0, height > 0, width < 1 << 31, height < 1 << 31 else {
            throw fail("corrupt PNG data (IHDR declares \(width)x\(height))")
        }
        guard validDepths[type]?.contains(depth) == true else {
            throw fail("corrupt PNG data (IHDR declares colour type \(type) at \(depth) bits)")
        }
        var header = PNGHeader(width: width, height: height, bitDepth: depth, colourType: type,
                               interlaced: b[28] == 1, hasTRNS: false)
        // Chunks: length, type, data, CRC. tRNS must come before the first IDAT.
        var pos = 33
        while true {
            guard pos + 8 <= b.count else {
                if complete { throw fail("truncated PNG data (it ends before its image data)") }
                return nil
            }
            let length = u32(pos), type = b[(pos + 4)..<(pos + 8)]
            if type.elementsEqual(Array("IDAT".utf8)) { return header }
            if type.elementsEqual(Array("IEND".utf8)) { throw fail("corrupt PNG data (no image data)") }
            if type.elementsEqual(Array("tRNS".utf8)) { header.hasTRNS = true }
            pos += 12 + length
        }
    }
}

/// How a file stores its colours, in the words `vaepipe inspect` prints.
public enum ColourModel: String, Sendable, CaseIterable {
    case gray, grayAlpha = "gray+alpha", rgb = "RGB", rgba = "RGBA"
    case palette, paletteAlpha = "palette+alpha", cmyk = "CMYK", ycck = "YCCK"

    /// Anything but gray decodes to RGB.
    public var hasColour: Bool { self != .gray && self != .grayAlpha }
    public var hasAlpha: Bool { [.grayAlpha, .rgba, .paletteAlpha].contains(self) }
}

/// What a file's header says about its image, read without decoding a pixel: enough to refuse
/// a bomb, to tell colour from gray across a folder, and to report formats for `inspect`.
public struct ImageHeader: Sendable, Equatable {
    public var format: ImageFormat
    /// As displayed: EXIF orientation already swaps them for turned photos.
    public var width: Int
    public var height: Int
    public var colour: ColourModel
    public var bitDepth: Int
    /// Progressive JPEG or Adam7-interlaced PNG.
    public var progressive: Bool
    public var orientation: Orientation

    /// Bytes read first: a PNG's header chunks and most JPEGs' markers fit. A JPEG whose EXIF
    /// block (thumbnails) runs past them is read further, then whole.
    static let prefixSizes = [4 * 1024, 256 * 1024]

    /// Reads just enough of the file (errors say permission denied, empty, not an image, ...),
    /// parses the header and applies the pixel limit.
    public static func read(atPath path: String, maxPixels: Int = 64_000_000) throws(ImageCodecError) -> ImageHeader {
        var bytes: [UInt8] = []
        var complete = false
        var header: ImageHeader?
        do {
            for size in prefixSizes + [Int.max] where header == nil && !complete {
                bytes = size == Int.max ? try FileBytes.contents(atPath: path) : try FileBytes.prefix(atPath: path, count: size)
                complete = bytes.count < size
                header = try parse(bytes, complete: complete, path: path)
            }
        } catch {
            // The Swift reading is stricter than libpng/libjpeg in places: a file they read is
            // kept, and one they reject gets their words for it.
            guard ImageFormat.sniff(bytes) != nil else { throw error }
            if !complete { bytes = try FileBytes.contents(atPath: path) }
            header = try libraryHeader(bytes, path: path)
        }
        guard let header else { throw ImageCodecError(path: path, reason: "internal header reader error") }
        try PixelLimit.check(width: header.width, height: header.height, maxPixels: maxPixels, path: path)
        return header
    }

    /// The header as libpng or libjpeg read it (no orientation or progressive flag).
    static func libraryHeader(_ bytes: [UInt8], path: String) throws(ImageCodecError) -> ImageHeader {
        if ImageFormat.sniff(bytes) == .png {
            let h = try PNGCodec.header(bytes, path: path)
            let colour: ColourModel = [1: .gray, 2: .grayAlpha, 3: .rgb][h.channels] ?? .rgba
            return ImageHeader(format: .png, width: h.width, height: h.height, colour: colour, bitDepth: 8,
                               progressive: false, orientation: .up)
        }
        let h = try JPEGCodec.header(bytes, eighths: 8, path: path)
        let colour: ColourModel = h.components == 1 ? .gray : h.components == 4 ? .cmyk : .rgb
        return ImageHeader(format: .jpeg, width: h.width, height: h.height, colour: colour, bitDepth: 8,
                           progressive: false, orientation: .up)
    }

    /// nil when `bytes` is an incomplete prefix that ends before the header does.
    static func parse(_ bytes: [UInt8], complete: Bool, path: String) throws(ImageCodecError) -> ImageHeader? {
        switch ImageFormat.sniff(bytes) {
        case .png:
            guard let h = try PNGHeader.parse(bytes, complete: complete, path: path) else { return nil }
            return ImageHeader(format: .png, width: h.width, height: h.height, colour: h.colour,
                               bitDepth: h.bitDepth, progressive: h.interlaced, orientation: .up)
        case .jpeg:
            guard let h = try JPEGHeader.parse(bytes, complete: complete, path: path) else { return nil }
            let swap = h.orientation.swapsAxes
            return ImageHeader(format: .jpeg, width: swap ? h.height : h.width, height: swap ? h.width : h.height,
                               colour: h.colour, bitDepth: h.bitsPerSample, progressive: h.progressive,
                               orientation: h.orientation)
        case nil:
            throw ImageFormat.unrecognized(bytes, path: path)
        }
    }
}

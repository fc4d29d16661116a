/// The one entry point for image files: the format comes from the bytes, not the name.
public enum ImageDecoder {
    /// Reads the file (clear errors for missing, unreadable/permission denied, directory, empty)
    /// and decodes by sniffed format. JPEGs come out upright (EXIF orientation applied), and
    /// `minimumSize` is meant upright too: a JPEG may decode at a reduced DCT scale that still covers it.
    public static func decodeFile(atPath path: String, maxPixels: Int = 64_000_000,
                                  minimumSize: (width: Int, height: Int)? = nil) throws(ImageCodecError) -> RasterImage {
        let bytes = try FileBytes.contents(atPath: path)
        switch ImageFormat.sniff(bytes) {
        case .png: return try PNGCodec.decode(bytes, path: path, maxPixels: maxPixels)
        case .jpeg: return try JPEGCodec.decode(bytes, path: path, maxPixels: maxPixels, minimumSize: minimumSize)
        case nil: throw ImageFormat.unrecognized(bytes, path: path)
        }
    }
}

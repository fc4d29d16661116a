import CImageShim

/// PNG through libpng: any file libpng reads comes out as 8-bit with 1–4 channels.
public enum PNGCodec {
    public static func decode(_ bytes: [UInt8], path: String = "<memory>",
                              maxPixels: Int = 64_000_000) throws(ImageCodecError) -> RasterImage {
        guard !bytes.isEmpty else { throw ImageCodecError(path: path, reason: "empty file") }
        guard ImageFormat.sniff(bytes) == .png else {
            throw ImageCodecError(path: path, reason: "not a PNG file")
        }
        // IHDR and tRNS, read in Swift, give the output size, so libpng runs once; a file the
        // Swift reading rejects takes libpng's two calls and gets libpng's words for its fault.
        if let h = try? PNGHeader.parse(bytes, complete: true, path: path) {
            try PixelLimit.check(width: h.width, height: h.height, maxPixels: maxPixels, path: path)
            if let image = try decodePixels(bytes, width: h.width, height: h.height, channels: h.channels,
                                            path: path, mismatchIsError: false) {
                return image
            }
        }
        let h = try header(bytes, path: path)
        try PixelLimit.check(width: h.width, height: h.height, maxPixels: maxPixels, path: path)
        return try decodePixels(bytes, width: h.width, height: h.height, channels: h.channels,
                                path: path, mismatchIsError: true)!
    }

    /// libpng's own reading of the header: the decoded size and channels.
    static func header(_ bytes: [UInt8], path: String) throws(ImageCodecError) -> (width: Int, height: Int, channels: Int) {
        var shim = ShimStatus()
        var width: Int32 = 0, height: Int32 = 0, channels: Int32 = 0
        let status = bytes.withUnsafeBufferPointer {
            vp_png_decode($0.baseAddress, $0.count, nil, &width, &height, &channels, &shim.message)
        }
        guard status == VP_OK else { throw shim.decodeError(status, format: "PNG", library: "libpng", path: path) }
        return (Int(width), Int(height), Int(channels))
    }

    /// One libpng pass into a buffer of the expected size; nil on a size mismatch unless that
    /// is an error (the second, libpng-sized attempt).
    static func decodePixels(_ bytes: [UInt8], width w: Int, height h: Int, channels c: Int, path: String,
                             mismatchIsError: Bool) throws(ImageCodecError) -> RasterImage? {
        var shim = ShimStatus()
        var width = Int32(w), height = Int32(h), channels = Int32(c)
        var status: Int32 = VP_OK
        let count = w * h * c
        let pixels = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            status = bytes.withUnsafeBufferPointer {
                vp_png_decode($0.baseAddress, $0.count, buffer.baseAddress,
                              &width, &height, &channels, &shim.message)
            }
            initialized = status == VP_OK ? count : 0
        }
        if status == VP_MISMATCH && !mismatchIsError { return nil }
        guard status == VP_OK else { throw shim.decodeError(status, format: "PNG", library: "libpng", path: path) }
        return RasterImage(width: w, height: h, channels: c, pixels: pixels)
    }

    public static func encode(_ image: RasterImage) throws(ImageCodecError) -> [UInt8] {
        try encode(image, path: "<memory>")
    }

    /// Writes atomically: a temp file in the same directory, then rename.
    public static func write(_ image: RasterImage, to path: String) throws(ImageCodecError) {
        try FileBytes.writeAtomically(encode(image, path: path), toPath: path)
    }

    static func encode(_ image: RasterImage, path: String) throws(ImageCodecError) -> [UInt8] {
        guard (1...4).contains(image.channels), image.width > 0, image.height > 0,
              image.width <= Int(Int32.max), image.height <= Int(Int32.max),
              image.pixels.count == image.width * image.height * image.channels else {
            throw ImageCodecError(path: path, reason: "cannot encode a \(image.width)x\(image.height) image with "
                                  + "\(image.channels) channels from \(image.pixels.count) bytes")
        }
        var shim = ShimStatus()
        var encoded: UnsafeMutablePointer<UInt8>?
        var size = 0
        let status = image.pixels.withUnsafeBufferPointer {
            vp_png_encode($0.baseAddress, Int32(image.width), Int32(image.height), Int32(image.channels),
                          &encoded, &size, &shim.message)
        }
        defer { vp_png_free(encoded) }
        guard status == VP_OK, let encoded else {
            throw ImageCodecError(path: path, reason: "cannot encode PNG (libpng: \(shim.text))")
        }
        return Array(UnsafeBufferPointer(start: encoded, count: size))
    }
}

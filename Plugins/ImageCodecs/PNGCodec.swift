import CImageShim

/// PNG through libpng: any file libpng reads comes out as 8-bit with 1–4 channels.
public enum PNGCodec {
    public static func decode(_ bytes: [UInt8], path: String = "<memory>",
                              maxPixels: Int = 64_000_000) throws(ImageCodecError) -> RasterImage {
        guard !bytes.isEmpty else { throw ImageCodecError(path: path, reason: "empty file") }
        guard ImageFormat.sniff(bytes) == .png else {
            throw ImageCodecError(path: path, reason: "not a PNG file")
        }
        var shim = ShimStatus()
        var width: Int32 = 0, height: Int32 = 0, channels: Int32 = 0
        var status = bytes.withUnsafeBufferPointer {
            vp_png_decode($0.baseAddress, $0.count, nil, &width, &height, &channels, &shim.message)
        }
        guard status == VP_OK else { throw shim.decodeError(status, format: "PNG", library: "libpng", path: path) }
        try PixelLimit.check(width: Int(width), height: Int(height), maxPixels: maxPixels, path: path)

        let count = Int(width) * Int(height) * Int(channels)
        let pixels = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            status = bytes.withUnsafeBufferPointer {
                vp_png_decode($0.baseAddress, $0.count, buffer.baseAddress,
                              &width, &height, &channels, &shim.message)
            }
            initialized = status == VP_OK ? count : 0
        }
        guard status == VP_OK else { throw shim.decodeError(status, format: "PNG", library: "libpng", path: path) }
        return RasterImage(width: Int(width), height: Int(height), channels: Int(channels), pixels: pixels)
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

/// The decompression-bomb guard: a 100-byte file may declare a 100000x100000 image, so the
/// size in the header is checked before a single pixel is allocated.
enum PixelLimit {
    static func check(width: Int, height: Int, maxPixels: Int, path: String) throws(ImageCodecError) {
        let pixels = width * height
        guard pixels > maxPixels else { return }
        throw ImageCodecError(path: path, reason: "image is \(width)x\(height) (\(describe(pixels, plural: true))), "
                              + "over the \(describe(maxPixels, plural: false)) limit")
    }

    /// Megapixels for real photos; plain pixels when a test or a caller sets a tiny limit.
    static func describe(_ pixels: Int, plural: Bool) -> String {
        guard pixels >= 1_000_000 else { return "\(pixels) pixel" + (plural ? "s" : "") }
        let tenths = (pixels + 50_000) / 100_000
        let number = tenths % 10 == 0 ? "\(tenths / 10)" : "\(tenths / 10).\(tenths % 10)"
        return "\(number) megapixel" + (plural ? "s" : "")
    }
}

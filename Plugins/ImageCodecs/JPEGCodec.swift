import CImageShim

/// JPEG through libjpeg: grayscale comes out with 1 channel, everything else as RGB, upright
/// (EXIF orientation applied).
public enum JPEGCodec {
    /// `minimumSize`: when given (upright width, height), decode at the smallest libjpeg DCT
    /// scale whose output still covers it in both dimensions; nil = full size.
    public static func decode(_ bytes: [UInt8], path: String = "<memory>", maxPixels: Int = 64_000_000,
                              minimumSize: (width: Int, height: Int)? = nil) throws(ImageCodecError) -> RasterImage {
        guard !bytes.isEmpty else { throw ImageCodecError(path: path, reason: "empty file") }
        guard ImageFormat.sniff(bytes) == .jpeg else {
            throw ImageCodecError(path: path, reason: "not a JPEG file")
        }
        // Our own marker walk sizes the output, so libjpeg runs once. A file the walk cannot
        // follow, or sizes differently from libjpeg, takes libjpeg's own two calls instead,
        // and gets libjpeg's words for what is wrong with it.
        let walked = try? JPEGHeader.parse(bytes, complete: true, path: path)
        let orientation = walked?.orientation ?? .up
        // The limit applies to the full size even when decoding smaller: progressive files
        // keep every full-size coefficient in memory whatever the output scale.
        let full: Header
        if let w = walked {
            full = Header(width: w.width, height: w.height, components: w.components == 1 ? 1 : w.components == 4 ? 4 : 3)
        } else {
            full = try header(bytes, eighths: 8, path: path)
        }
        try PixelLimit.check(width: full.width, height: full.height, maxPixels: maxPixels, path: path)
        let minimum = minimumSize.map { orientation.swapsAxes ? (width: $0.height, height: $0.width) : $0 }
        let eighths = minimum.map { scaleEighths(width: full.width, height: full.height, minimum: $0) } ?? 8

        var image: RasterImage?
        if walked != nil {
            let expected = Header(width: (full.width * eighths + 7) / 8, height: (full.height * eighths + 7) / 8,
                                  components: full.components)
            image = try decodePixels(bytes, expected, eighths: eighths, path: path, mismatchIsError: false)
        }
        if image == nil {
            let out = try header(bytes, eighths: eighths, path: path)
            image = try decodePixels(bytes, out, eighths: eighths, path: path, mismatchIsError: true)
        }
        return orientation.apply(to: image!)
    }

    /// One libjpeg pass into a buffer of the expected size; nil on a size mismatch unless that
    /// is an error (the second, libjpeg-sized attempt).
    static func decodePixels(_ bytes: [UInt8], _ out: Header, eighths: Int, path: String,
                             mismatchIsError: Bool) throws(ImageCodecError) -> RasterImage? {
        var shim = ShimStatus()
        var width = Int32(out.width), height = Int32(out.height), components = Int32(out.components)
        var invertedCMYK: Int32 = 0
        var status: Int32 = VP_OK
        let count = out.width * out.height * out.components
        var pixels = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            status = bytes.withUnsafeBufferPointer {
                vp_jpeg_decode($0.baseAddress, $0.count, Int32(eighths), 8, buffer.baseAddress,
                               &width, &height, &components, &invertedCMYK, &shim.message)
            }
            initialized = status == VP_OK ? count : 0
        }
        if status == VP_MISMATCH && !mismatchIsError { return nil }
        guard status == VP_OK else { throw shim.decodeError(status, format: "JPEG", library: "libjpeg", path: path) }
        if out.components == 4 {
            cmykToRGB(&pixels, inverted: invertedCMYK != 0)
        }
        return RasterImage(width: out.width, height: out.height, channels: min(out.components, 3), pixels: pixels)
    }

    /// The smallest of 1/8, 1/4 and 1/2 whose output still covers `minimum`; libjpeg rounds
    /// scaled sizes up (jdiv_round_up), so 20 px at 1/8 is 3 px, not 2. libjpeg-turbo would also
    /// scale by 3/8, 5/8, ...: measured on 200 px photos shrunk to 64, 3/8 was no faster than
    /// 1/2, because its odd-sized inverse DCTs (and 6x6 for 4:2:0 chroma) have no SIMD code.
    static func scaleEighths(width: Int, height: Int, minimum: (width: Int, height: Int)) -> Int {
        for eighths in [1, 2, 4] where (width * eighths + 7) / 8 >= minimum.width && (height * eighths + 7) / 8 >= minimum.height {
            return eighths
        }
        return 8
    }

    struct Header {
        var width: Int
        var height: Int
        /// 1 gray, 3 RGB, 4 CMYK (converted to RGB after decoding).
        var components: Int
    }

    static func header(_ bytes: [UInt8], eighths: Int, path: String) throws(ImageCodecError) -> Header {
        var shim = ShimStatus()
        var width: Int32 = 0, height: Int32 = 0, components: Int32 = 0, inverted: Int32 = 0
        let status = bytes.withUnsafeBufferPointer {
            vp_jpeg_decode($0.baseAddress, $0.count, Int32(eighths), 8, nil,
                           &width, &height, &components, &inverted, &shim.message)
        }
        guard status == VP_OK else { throw shim.decodeError(status, format: "JPEG", library: "libjpeg", path: path) }
        return Header(width: Int(width), height: Int(height), components: Int(components))
    }

    /// Naive CMYK → RGB (no colour profile): R = (255-C)(255-K)/255. Adobe files store the
    /// values inverted, which turns that into R = C·K/255. Compacts 4 channels to 3 in place:
    /// writes trail reads, since channel c goes from 4i+c to 3i+c.
    static func cmykToRGB(_ pixels: inout [UInt8], inverted: Bool) {
        let count = pixels.count / 4
        pixels.withUnsafeMutableBufferPointer { p in
            for i in 0..<count {
                var k = Int(p[4 * i + 3])
                if !inverted { k = 255 - k }
                for c in 0..<3 {
                    var ink = Int(p[4 * i + c])
                    if !inverted { ink = 255 - ink }
                    p[3 * i + c] = UInt8((ink * k + 127) / 255)
                }
            }
        }
        pixels.removeLast(pixels.count - 3 * count)
    }
}

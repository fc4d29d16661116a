import CImageShim

/// JPEG through libjpeg: grayscale comes out with 1 channel, everything else as RGB.
public enum JPEGCodec {
    /// `minimumSize`: when given (w,h), decode with the largest libjpeg DCT scale (1/8, 1/4, 1/2) whose output is still at least that big in both dimensions; nil = full size.
    public static func decode(_ bytes: [UInt8], path: String = "<memory>", maxPixels: Int = 64_000_000,
                              minimumSize: (width: Int, height: Int)? = nil) throws(ImageCodecError) -> RasterImage {
        guard !bytes.isEmpty else { throw ImageCodecError(path: path, reason: "empty file") }
        guard ImageFormat.sniff(bytes) == .jpeg else {
            throw ImageCodecError(path: path, reason: "not a JPEG file")
        }
        // The limit applies to the full size even when decoding smaller: progressive files
        // keep every full-size coefficient in memory whatever the output scale.
        let full = try header(bytes, scaleDenominator: 1, path: path)
        try PixelLimit.check(width: full.width, height: full.height, maxPixels: maxPixels, path: path)
        let denominator = minimumSize.map {
            scaleDenominator(width: full.width, height: full.height, minimum: $0)
        } ?? 1
        let out = denominator == 1 ? full : try header(bytes, scaleDenominator: denominator, path: path)

        var shim = ShimStatus()
        var width = Int32(out.width), height = Int32(out.height), components = Int32(out.components)
        var invertedCMYK: Int32 = 0
        var status: Int32 = VP_OK
        let count = out.width * out.height * out.components
        var pixels = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            status = bytes.withUnsafeBufferPointer {
                vp_jpeg_decode($0.baseAddress, $0.count, Int32(denominator), buffer.baseAddress,
                               &width, &height, &components, &invertedCMYK, &shim.message)
            }
            initialized = status == VP_OK ? count : 0
        }
        guard status == VP_OK else { throw shim.decodeError(status, format: "JPEG", library: "libjpeg", path: path) }
        if out.components == 4 {
            cmykToRGB(&pixels, inverted: out.invertedCMYK)
        }
        return RasterImage(width: out.width, height: out.height, channels: min(out.components, 3), pixels: pixels)
    }

    /// libjpeg rounds scaled sizes up (jdiv_round_up), so 20 px at 1/8 is 3 px, not 2.
    static func scaleDenominator(width: Int, height: Int, minimum: (width: Int, height: Int)) -> Int {
        for denominator in [8, 4, 2] {
            let w = (width + denominator - 1) / denominator
            let h = (height + denominator - 1) / denominator
            if w >= minimum.width && h >= minimum.height { return denominator }
        }
        return 1
    }

    struct Header {
        var width: Int
        var height: Int
        var components: Int
        var invertedCMYK: Bool
    }

    static func header(_ bytes: [UInt8], scaleDenominator: Int, path: String) throws(ImageCodecError) -> Header {
        var shim = ShimStatus()
        var width: Int32 = 0, height: Int32 = 0, components: Int32 = 0, inverted: Int32 = 0
        let status = bytes.withUnsafeBufferPointer {
            vp_jpeg_decode($0.baseAddress, $0.count, Int32(scaleDenominator), nil,
                           &width, &height, &components, &inverted, &shim.message)
        }
        guard status == VP_OK else { throw shim.decodeError(status, format: "JPEG", library: "libjpeg", path: path) }
        return Header(width: Int(width), height: Int(height), components: Int(components), invertedCMYK: inverted != 0)
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

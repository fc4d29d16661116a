import VAEPipeCore
import VAEPipeImageCodecs

/// Brings a decoded image (1-4 channels) to the channels of the set before it is resized:
/// alpha composited over the background, colour turned to luma for a gray set, everything made
/// RGBA (alpha premultiplied, so transparent pixels do not bleed their colour into the filter)
/// for a set that keeps alpha. A gray image bound for an RGB set stays gray here and is
/// widened after resizing: a third of the filter work, the same result.
enum ChannelConversion {
    /// The pixels to resize and their channel count (`target`, or 1 for gray widened later).
    static func prepare(_ image: RasterImage, target: Int, background bg: RGBColor) -> (pixels: [UInt8], channels: Int) {
        let c = image.channels, n = image.width * image.height
        let grayBackground = bg.red == bg.green && bg.green == bg.blue
        switch (c, target) {
        case (1, 1), (1, 3), (3, 3):
            return (image.pixels, c)
        case (2, let t) where t == 1 || (t == 3 && grayBackground):
            return (map(image.pixels, n, from: 2, to: 1) { s, d in d[0] = over(s[0], s[1], bg.luma) }, 1)
        case (2, 3):
            return (map(image.pixels, n, from: 2, to: 3) { s, d in
                d[0] = over(s[0], s[1], bg.red); d[1] = over(s[0], s[1], bg.green); d[2] = over(s[0], s[1], bg.blue)
            }, 3)
        case (3, 1):
            return (map(image.pixels, n, from: 3, to: 1) { s, d in d[0] = luma(s[0], s[1], s[2]) }, 1)
        case (4, 1):
            return (map(image.pixels, n, from: 4, to: 1) { s, d in
                d[0] = luma(over(s[0], s[3], bg.red), over(s[1], s[3], bg.green), over(s[2], s[3], bg.blue))
            }, 1)
        case (4, 3):
            return (map(image.pixels, n, from: 4, to: 3) { s, d in
                d[0] = over(s[0], s[3], bg.red); d[1] = over(s[1], s[3], bg.green); d[2] = over(s[2], s[3], bg.blue)
            }, 3)
        default:    // to RGBA, premultiplied
            return (map(image.pixels, n, from: c, to: 4) { s, d in
                let a = c == 2 || c == 4 ? s[c - 1] : 255
                for ch in 0..<3 { d[ch] = premultiply(s[c < 3 ? 0 : ch], a) }
                d[3] = a
            }, 4)
        }
    }

    /// Writes one resized row of `count` pixels with `c` channels as `target` channels: a
    /// copy, gray widened to RGB, or RGBA with the premultiplication undone.
    @inline(__always)
    static func place(_ row: UnsafePointer<UInt8>, count: Int, from c: Int, to target: Int,
                      into out: UnsafeMutablePointer<UInt8>) {
        if c == 1 && target == 3 {
            for p in 0..<count { let v = row[p]; out[3 * p] = v; out[3 * p + 1] = v; out[3 * p + 2] = v }
        } else if target == 4 {
            for p in 0..<count {
                let a = Int(row[4 * p + 3])
                for ch in 0..<3 {
                    let v = Int(row[4 * p + ch])
                    out[4 * p + ch] = a == 0 ? 0 : UInt8(min(255, (v * 255 + a / 2) / a))
                }
                out[4 * p + 3] = UInt8(a)
            }
        } else {
            out.update(from: row, count: count * c)
        }
    }

    @inline(__always)
    static func over(_ v: UInt8, _ a: UInt8, _ bg: UInt8) -> UInt8 {
        let alpha = Int(a)
        let mixed = Int(v) * alpha + Int(bg) * (255 - alpha)
        return UInt8((mixed + 127) / 255)
    }

    @inline(__always)
    static func premultiply(_ v: UInt8, _ a: UInt8) -> UInt8 { UInt8((Int(v) * Int(a) + 127) / 255) }

    /// ITU-R 601 luma, as Pillow's convert("L").
    @inline(__always)
    static func luma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        let y = Int(r) * 299 + Int(g) * 587 + Int(b) * 114
        return UInt8((y + 500) / 1000)
    }

    @inline(__always)
    private static func map(_ src: [UInt8], _ n: Int, from c: Int, to d: Int,
                            _ body: (UnsafePointer<UInt8>, UnsafeMutablePointer<UInt8>) -> Void) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: n * d) { out, initialized in
            src.withUnsafeBufferPointer { s in
                for p in 0..<n { body(s.baseAddress! + p * c, out.baseAddress! + p * d) }
            }
            initialized = n * d
        }
    }
}

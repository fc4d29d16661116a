/// EXIF orientation (tag 0x0112): how the stored pixels must be turned to show the picture
/// upright. Cameras store the sensor's rows as they come and record the turn here.
public enum Orientation: Int, Sendable, CaseIterable {
    case up = 1, mirrored = 2, upsideDown = 3, flipped = 4
    case transposed = 5, rotatedClockwise = 6, transversed = 7, rotatedCounterclockwise = 8

    /// True for the four orientations that swap width and height.
    public var swapsAxes: Bool { rawValue >= 5 }

    /// The upright image: the same flips and transposes as Pillow's `ImageOps.exif_transpose`.
    public func apply(to image: RasterImage) -> RasterImage {
        guard self != .up else { return image }
        let (w, h, c) = (image.width, image.height, image.channels)
        let (ow, oh) = swapsAxes ? (h, w) : (w, h)
        let pixels = [UInt8](unsafeUninitializedCapacity: w * h * c) { out, initialized in
            image.pixels.withUnsafeBufferPointer { src in
                for y in 0..<oh {
                    for x in 0..<ow {
                        let (sx, sy) = source(x, y, width: w, height: h)
                        let s = (sy * w + sx) * c, d = (y * ow + x) * c
                        for ch in 0..<c { out[d + ch] = src[s + ch] }
                    }
                }
            }
            initialized = w * h * c
        }
        return RasterImage(width: ow, height: oh, channels: c, pixels: pixels)
    }

    /// The stored pixel shown at upright (x, y), for a stored image of width x height.
    @inline(__always)
    func source(_ x: Int, _ y: Int, width w: Int, height h: Int) -> (Int, Int) {
        switch self {
        case .up: (x, y)
        case .mirrored: (w - 1 - x, y)
        case .upsideDown: (w - 1 - x, h - 1 - y)
        case .flipped: (x, h - 1 - y)
        case .transposed: (y, x)
        case .rotatedClockwise: (y, h - 1 - x)
        case .transversed: (w - 1 - y, h - 1 - x)
        case .rotatedCounterclockwise: (w - 1 - y, x)
        }
    }

    /// Tag 0x0112 of IFD0 in an APP1 `Exif\0\0` payload (a TIFF file in either byte order);
    /// `.up` for anything missing, malformed or out of range, as viewers do.
    public static func fromExif(_ payload: ArraySlice<UInt8>) -> Orientation {
        let b = Array(payload)
        guard b.count >= 14, b[0..<6].elementsEqual(Array("Exif".utf8) + [0, 0]) else { return .up }
        let tiff = 6
        let little: Bool
        switch (b[tiff], b[tiff + 1]) {
        case (0x49, 0x49): little = true     // "II"
        case (0x4D, 0x4D): little = false    // "MM"
        default: return .up
        }
        func u16(_ o: Int) -> Int? {
            guard o >= 0, o + 2 <= b.count else { return nil }
            return little ? Int(b[o]) | Int(b[o + 1]) << 8 : Int(b[o]) << 8 | Int(b[o + 1])
        }
        func u32(_ o: Int) -> Int? {
            guard let hi = u16(little ? o + 2 : o), let lo = u16(little ? o : o + 2) else { return nil }
            return hi << 16 | lo
        }
        guard u16(tiff + 2) == 42, let ifd = u32(tiff + 4).map({ tiff + $0 }), let entries = u16(ifd) else { return .up }
        for e in 0..<entries {
            let entry = ifd + 2 + 12 * e
            guard let tag = u16(entry) else { return .up }
            // SHORT (type 3), one value, stored in the first two bytes of the value field.
            if tag == 0x0112, u16(entry + 2) == 3, let v = u16(entry + 8) {
                return Orientation(rawValue: v) ?? .up
            }
        }
        return .up
    }
}

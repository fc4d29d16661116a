/// A JPEG's markers up to its first scan, walked in Swift: the frame size and components,
/// whether it is progressive, the Adobe colour transform and the EXIF orientation. Cheap enough
/// to run on every file of a folder before training, and it lets a decode go straight to the
/// right DCT scale with a single pass through libjpeg.
struct JPEGHeader: Equatable {
    var width: Int          // as stored, before orientation
    var height: Int
    var components: Int
    var bitsPerSample: Int
    var progressive: Bool
    /// APP14 "Adobe" transform: 0 none (RGB/CMYK), 1 YCbCr, 2 YCCK; nil without the marker.
    var adobeTransform: Int?
    var orientation: Orientation

    var colour: ColourModel {
        switch components {
        case 1: .gray
        case 4: adobeTransform == 2 ? .ycck : .cmyk
        default: .rgb
        }
    }

    /// nil when `bytes` is a prefix that ends before the first scan (read more and call again);
    /// throws when the whole file (`complete`) does, or its markers make no sense.
    static func parse(_ b: [UInt8], complete: Bool, path: String) throws(ImageCodecError) -> JPEGHeader? {
        func fail(_ why: String) -> ImageCodecError { ImageCodecError(path: path, reason: why) }
        guard b.count >= 3, b[0] == 0xFF, b[1] == 0xD8 else { throw fail("not a JPEG file") }
        var frame: JPEGHeader?
        var adobe: Int?
        var orientation = Orientation.up
        var sawExif = false
        var pos = 2
        while true {
            // libjpeg skips stray bytes before a marker (with a warning); so does this walk.
            while pos < b.count && b[pos] != 0xFF { pos += 1 }
            while pos < b.count && b[pos] == 0xFF { pos += 1 }
            guard pos < b.count else {
                if complete { throw fail("truncated JPEG data (it ends before its first scan)") }
                return nil
            }
            let marker = b[pos]
            pos += 1
            if marker == 0x01 || (0xD0...0xD8).contains(marker) { continue }   // no length field
            if marker == 0xD9 { throw fail("corrupt JPEG data (end of image before any scan)") }
            if marker < 0xC0 { throw fail("corrupt JPEG data (unknown marker 0x\(hex(marker)))") }
            guard pos + 2 <= b.count else {
                if complete { throw fail("truncated JPEG data (it ends inside a marker)") }
                return nil
            }
            let length = Int(b[pos]) << 8 | Int(b[pos + 1])
            guard length >= 2 else { throw fail("corrupt JPEG data (marker 0x\(hex(marker)) has length \(length))") }
            let body = (pos + 2)..<(pos + length)
            if marker == 0xDA {
                guard var f = frame else { throw fail("corrupt JPEG data (a scan before any frame header)") }
                f.adobeTransform = adobe
                f.orientation = orientation
                return f
            }
            guard body.upperBound <= b.count else {
                if complete { throw fail("truncated JPEG data (it ends inside a marker)") }
                return nil
            }
            switch marker {
            case 0xC0...0xCF where marker != 0xC4 && marker != 0xC8 && marker != 0xCC:
                guard body.count >= 6 else { throw fail("corrupt JPEG data (short frame header)") }
                let s = body.lowerBound
                let height = Int(b[s + 1]) << 8 | Int(b[s + 2]), width = Int(b[s + 3]) << 8 | Int(b[s + 4])
                guard width > 0, height > 0 else { throw fail("corrupt JPEG data (frame header declares \(width)x\(height))") }
                frame = JPEGHeader(width: width, height: height, components: Int(b[s + 5]), bitsPerSample: Int(b[s]),
                                   progressive: [0xC2, 0xC6, 0xCA, 0xCE].contains(marker),
                                   adobeTransform: nil, orientation: .up)
            case 0xE1 where !sawExif && b[body].starts(with: Array("Exif".utf8) + [0, 0]):
                sawExif = true
                orientation = Orientation.fromExif(b[body])
            case 0xEE where body.count >= 12 && b[body].starts(with: Array("Adobe".utf8)):
                adobe = Int(b[body.lowerBound + 11])
            default:
                break
            }
            pos = body.upperBound
        }
    }

    private static func hex(_ v: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(v >> 4)], digits[Int(v & 15)]])
    }
}

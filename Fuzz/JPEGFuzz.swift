// libFuzzer target: JPEG files as vaepipe reads them. The Swift marker walk (frame, Adobe, EXIF
// orientation) on a prefix and on the whole file, libjpeg's own header reading, then a decode
// at the DCT scale a minimum size asks for, CMYK conversion and the orientation turn. Any input
// may be refused; none may crash, hang, leak or touch memory it does not own. Built and run by
// Fuzz/run.sh jpeg.
//
// The first 3 bytes are options, the rest the file. Byte 0, bit 0: decode to cover an upright
// minimum of (byte 1) x (byte 2) pixels, which picks the 1/8, 1/4, 1/2 or full scale, instead of
// full size; bit 1: a 64-pixel limit instead of 4 megapixels (the refusal path); bits 2-7: where
// the header pass's prefix ends, in 16-byte steps (0: at 4 KiB, as ImageHeader.read cuts it).
@testable import VAEPipeImageCodecs

@_cdecl("LLVMFuzzerTestOneInput")
public func jpegFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 3 else { return 0 }
    let options = Array(UnsafeBufferPointer(start: data, count: 3))
    let bytes = Array(UnsafeBufferPointer(start: data + 3, count: size - 3))
    let minimum = options[0] & 1 != 0 ? (width: max(1, Int(options[1])), height: max(1, Int(options[2]))) : nil
    let maxPixels = options[0] & 2 != 0 ? 64 : 1 << 22
    let cut = Int(options[0] >> 2) * 16
    let prefix = Array(bytes.prefix(cut == 0 ? ImageHeader.prefixSizes[0] : cut))

    _ = try? JPEGHeader.parse(prefix, complete: prefix.count == bytes.count, path: "fuzz.jpg")
    _ = try? ImageHeader.parse(bytes, complete: true, path: "fuzz.jpg")
    if ImageFormat.sniff(bytes) == .jpeg {
        _ = try? ImageHeader.libraryHeader(bytes, path: "fuzz.jpg")
    }
    _ = try? JPEGCodec.decode(bytes, path: "fuzz.jpg", maxPixels: maxPixels, minimumSize: minimum)
    return 0
}

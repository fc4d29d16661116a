// libFuzzer target: PNG files as vaepipe reads them. The Swift IHDR/tRNS walk, on the 4 KiB
// prefix a folder's header pass reads first and on the whole file; libpng's own reading of the
// header (what a file the Swift walk refuses falls back to); then a full decode through the C
// shim. Any input may be refused; none may crash, hang, leak or touch memory it does not own.
// Built and run by Fuzz/run.sh png.
@testable import VAEPipeImageCodecs

@_cdecl("LLVMFuzzerTestOneInput")
public func pngFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let prefix = Array(bytes.prefix(ImageHeader.prefixSizes[0]))
    _ = try? ImageHeader.parse(prefix, complete: prefix.count == bytes.count, path: "fuzz.png")
    _ = try? ImageHeader.parse(bytes, complete: true, path: "fuzz.png")
    if ImageFormat.sniff(bytes) == .png {
        _ = try? ImageHeader.libraryHeader(bytes, path: "fuzz.png")
    }
    // 4 megapixels keeps an execution within tens of MB; the limit's check is the same at any value.
    _ = try? PNGCodec.decode(bytes, path: "fuzz.png", maxPixels: 1 << 22)
    return 0
}

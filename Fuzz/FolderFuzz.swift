// libFuzzer target: the image-folder adapter on a folder holding one file, as `train --data DIR`
// loads it: listing, the header pass, then the decode, channel conversion and resize, into
// memory or streamed. Any input may be refused (the folder then has no usable image); none may
// crash, hang, leak or touch memory it does not own. Built and run by Fuzz/run.sh folder.
//
// The first 2 bytes are options, the rest the file. Byte 0, bits 0-1: its name, image.png,
// image.jpg, image (no extension, found by its magic bytes) or image.gif; bits 2-3: resize
// fill, fit or stretch; bits 4-5: channels from the images, 1, 3 or 4; bit 6: streamed
// (--cache none) instead of decoded into memory. Byte 1: the target side, 1 + byte % 64.
import VAEPipeAdapters
import VAEPipeCore

@_cdecl("LLVMFuzzerTestOneInput")
public func folderFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let flags = Int(data[0])
    let dir = ScratchDirectory.fresh("folder")
    let name = ["image.png", "image.jpg", "image", "image.gif"][flags & 3]
    ScratchDirectory.write(UnsafeBufferPointer(start: data + 2, count: size - 2), to: dir, as: name)

    var options = DatasetOptions(size: 1 + Int(data[1]) % 64)
    options.resize = [.fill, .fit, .stretch, .fill][(flags >> 2) & 3]
    options.channels = [nil, 1, 3, 4][(flags >> 4) & 3]
    options.cache = flags & 64 != 0 ? .none : .memory
    options.workers = 1
    // 4 megapixels keeps an execution within tens of MB; the limit's check is the same at any value.
    options.maxPixels = 1 << 22
    guard let dataset = try? ImageFolderAdapter.load(path: dir, options: options) else { return 0 }
    _ = try? dataset.train.pixels(0)
    return 0
}

// libFuzzer target: IDX data as the idx adapter loads it (IDXFile.read through zlib's gzread,
// then IDXAdapter's shape and label checks), from a scratch file per execution: the reader
// takes a path. Any input may be refused; none may crash, hang, leak or touch memory it does
// not own. Built and run by Fuzz/run.sh idx.
//
// The first 3 bytes are the layout, the rest the data. Byte 0, bit 0: gzip the data here
// (written as .gz), so mutations land on the IDX inside a valid stream; data that is gzip
// already exercises zlib's own checks. Bit 1: a directory holding train-images-idx3-ubyte[.gz]
// (the data's first N bytes, N = bytes 1-2 big-endian) and train-labels-idx1-ubyte (the rest);
// otherwise a single images file.
import CZlib
import Foundation
@testable import VAEPipeAdapters
import VAEPipeCore

@_cdecl("LLVMFuzzerTestOneInput")
public func idxFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 3 else { return 0 }
    let layout = data[0], split = Int(data[1]) << 8 | Int(data[2])
    let body = UnsafeBufferPointer(start: data + 3, count: size - 3)
    let gzip = layout & 1 != 0, directory = layout & 2 != 0
    let dir = ScratchDirectory.fresh("idx")
    let images = directory ? body.prefix(split) : body[...]
    let name = (directory ? "train-images-idx3-ubyte" : "images-idx3-ubyte") + (gzip ? ".gz" : "")
    let path = gzip ? writeGzip(Array(images), to: dir, as: name) : ScratchDirectory.write(images, to: dir, as: name)
    if directory {
        ScratchDirectory.write(body.dropFirst(split), to: dir, as: "train-labels-idx1-ubyte")
    }
    let target = directory ? dir : path
    // Loaded whether or not the sniff accepts it: `--adapter idx` skips the sniff.
    _ = IDXAdapter.accepts(path: target)
    _ = try? IDXAdapter.load(path: target, options: DatasetOptions(size: 28))
    return 0
}

private func writeGzip(_ bytes: [UInt8], to directory: String, as name: String) -> String {
    let path = (directory as NSString).appendingPathComponent(name)
    guard let file = gzopen(path, "wb") else { fatalError("fuzz harness: cannot write \(path)") }
    _ = bytes.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
    gzclose(file)
    return path
}

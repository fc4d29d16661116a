// A run-time dataset adapter plugin in Swift (@_cdecl), for NumPy .npy files: uint8 or float32
// arrays N x H x W or N x H x W x C (C 1, 3 or 4), the format the Python VAE libraries keep
// their data in.
//   --data NAME.npy   training images; labels from NAME_labels.npy when it exists
//   --data DIR        DIR/train.npy (+ train_labels.npy), and DIR/test.npy (+ test_labels.npy)
//                     as the test split when present
// float32 pixels in [0, 1] are scaled by 255, pixels in [0, 255] are kept; labels are integer
// arrays of N (int64, int32 or uint8), used when every split has them.
//
// Build (one command, from the repository root):
//   swiftc -emit-library -O -parse-as-library -module-name NPYAdapter -I Sources/CVAEPipePlugin/include Samples/Plugins/npy-adapter/NPYAdapter.swift -o libnpy_adapter.so
// Use:
//   vaepipe train --plugin ./libnpy_adapter.so --data images.npy --out RUN
import CVAEPipePlugin
#if canImport(Glibc)
import Glibc
#endif

/// One .npy array, mapped read-only: its dtype, shape and where its data starts.
final class NPYArray {
    let path: String
    let dtype: String
    let shape: [Int]
    private let base: UnsafeMutableRawPointer
    private let size: Int
    private let offset: Int

    init(path: String) throws(NPYError) {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw NPYError("\(path): cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { throw NPYError("\(path): not a regular file") }
        size = Int(info.st_size)
        guard size >= 10, let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw NPYError("\(path): too short to be a .npy file")
        }
        base = p
        let bytes = UnsafeRawBufferPointer(start: p, count: size)
        do throws(NPYError) {
            guard bytes.starts(with: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) else { throw NPYError("\(path): not a .npy file (no \\x93NUMPY magic)") }
            let major = bytes[6]
            let (headerLength, start): (Int, Int)
            switch major {
            case 1: (headerLength, start) = (Int(bytes[8]) | Int(bytes[9]) << 8, 10)
            case 2, 3:
                guard size >= 12 else { throw NPYError("\(path): truncated header") }
                (headerLength, start) = ((0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }, 12)
            default: throw NPYError("\(path): .npy format version \(major) is not supported")
            }
            guard headerLength <= 65536, start + headerLength <= size else { throw NPYError("\(path): header length \(headerLength) runs past the file") }
            let header = String(decoding: bytes[start..<(start + headerLength)], as: UTF8.self)
            (dtype, shape) = try Self.parse(header, path: path)
            offset = start + headerLength
            let itemSize = dtype.hasSuffix("1") ? 1 : dtype.hasSuffix("2") ? 2 : dtype.hasSuffix("4") ? 4 : 8
            var count = 1
            for d in shape {
                let (c, o) = count.multipliedReportingOverflow(by: d)
                guard !o, d >= 0 else { throw NPYError("\(path): shape \(shape) is too large") }
                count = c
            }
            guard count.multipliedReportingOverflow(by: itemSize).partialValue <= size - offset, count <= (size - offset) / itemSize else {
                throw NPYError("\(path): shape \(shape) of \(dtype) needs \(count * itemSize) bytes, the file holds \(size - offset)")
            }
        } catch {
            munmap(p, size)
            throw error
        }
    }

    deinit { munmap(base, size) }

    var data: UnsafeRawPointer { UnsafeRawPointer(base) + offset }
    var count: Int { shape.reduce(1, *) }

    /// The header dict: {'descr': '<f4', 'fortran_order': False, 'shape': (N, H, W), }
    static func parse(_ header: String, path: String) throws(NPYError) -> (String, [Int]) {
        func value(_ key: String) -> Substring? {
            let pattern = Array("'\(key)':")
            let chars = Array(header)
            guard chars.count >= pattern.count,
                  let i = (0...(chars.count - pattern.count)).first(where: { chars[$0..<($0 + pattern.count)].elementsEqual(pattern) }) else { return nil }
            return header.dropFirst(i + pattern.count).drop { $0 == " " }
        }
        guard let d = value("descr"), d.first == "'", let end = d.dropFirst().firstIndex(of: "'") else {
            throw NPYError("\(path): header has no dtype ('descr')")
        }
        let dtype = String(d[d.index(after: d.startIndex)..<end])
        guard let f = value("fortran_order"), f.hasPrefix("False") else {
            throw NPYError("\(path): Fortran-ordered arrays are not supported (save with np.ascontiguousarray)")
        }
        guard let s = value("shape"), s.first == "(", let close = s.firstIndex(of: ")") else { throw NPYError("\(path): header has no shape") }
        var shape: [Int] = []
        for part in s[s.index(after: s.startIndex)..<close].split(separator: ",") {
            let t = String(part.filter { $0 != " " })
            if t.isEmpty { continue }
            guard let n = Int(t), n >= 0 else { throw NPYError("\(path): shape entry '\(t)' is not a size") }
            shape.append(n)
        }
        return (dtype, shape)
    }
}

struct NPYError: Error { let message: String; init(_ m: String) { message = m } }

/// The arrays of one dataset: images (and labels) of the training split and, maybe, the test split.
final class NPYDataset {
    let splits: [(images: NPYArray, labels: NPYArray?)]
    let height: Int, width: Int, channels: Int

    init(path: String) throws(NPYError) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw NPYError("\(path): no such file or directory") }
        func optional(_ p: String) throws(NPYError) -> NPYArray? { access(p, F_OK) == 0 ? try NPYArray(path: p) : nil }
        if info.st_mode & S_IFMT == S_IFDIR {
            let dir = path.hasSuffix("/") ? path : path + "/"
            var s = [(try NPYArray(path: dir + "train.npy"), try optional(dir + "train_labels.npy"))]
            if let test = try optional(dir + "test.npy") { s.append((test, try optional(dir + "test_labels.npy"))) }
            splits = s
        } else {
            let stem = path.hasSuffix(".npy") ? String(path.dropLast(4)) : path
            splits = [(try NPYArray(path: path), try optional(stem + "_labels.npy"))]
        }
        let first = splits[0].images
        for (images, labels) in splits {
            guard ["|u1", "<u1", "<f4"].contains(images.dtype) else {
                throw NPYError("\(images.path): dtype \(images.dtype) is not supported (uint8 or little-endian float32)")
            }
            guard images.shape.count == 3 || (images.shape.count == 4 && [1, 3, 4].contains(images.shape[3])) else {
                throw NPYError("\(images.path): shape \(images.shape) is not N x H x W or N x H x W x C (C 1, 3 or 4)")
            }
            guard images.shape[0] > 0, images.shape[1] > 0, images.shape[2] > 0 else { throw NPYError("\(images.path): shape \(images.shape) holds no image") }
            guard images.shape.dropFirst() == first.shape.dropFirst() else {
                throw NPYError("\(images.path): images of shape \(images.shape.dropFirst()) do not match \(first.path)'s \(first.shape.dropFirst())")
            }
            if let labels {
                guard ["<i8", "<i4", "|u1", "<u1"].contains(labels.dtype), labels.shape == [images.shape[0]] else {
                    throw NPYError("\(labels.path): labels must be \(images.shape[0]) integers (int64, int32 or uint8), not \(labels.dtype) \(labels.shape)")
                }
            }
        }
        height = first.shape[1]; width = first.shape[2]; channels = first.shape.count == 4 ? first.shape[3] : 1
    }

    /// Labels are used when every split has them.
    var hasLabels: Bool { splits.allSatisfy { $0.labels != nil } }

    /// Pixels of split `which` as bytes: uint8 copied, float32 from [0, 1] (or [0, 255]) rounded.
    func read(_ which: Int, pixels: UnsafeMutablePointer<UInt8>, labels: UnsafeMutablePointer<Int32>?) throws(NPYError) {
        let (images, labelArray) = splits[which]
        let n = images.count
        if images.dtype.hasSuffix("u1") {
            pixels.update(from: images.data.assumingMemoryBound(to: UInt8.self), count: n)
        } else {
            let f = images.data.assumingMemoryBound(to: Float.self)
            var peak: Float = 0
            for i in 0..<n {
                let v = f[i]
                guard v >= 0, v <= 255 else { throw NPYError("\(images.path): value \(v) at index \(i) is outside [0, 1] and [0, 255]") }
                peak = max(peak, v)
            }
            let scale: Float = peak <= 1 ? 255 : 1
            for i in 0..<n { pixels[i] = UInt8((f[i] * scale).rounded()) }
        }
        guard let labels, let labelArray, hasLabels else { return }
        for i in 0..<labelArray.count {
            let v: Int
            switch labelArray.dtype {
            case "<i8": v = Int(labelArray.data.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
            case "<i4": v = Int(labelArray.data.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))
            default: v = Int(labelArray.data.load(fromByteOffset: i, as: UInt8.self))
            }
            guard (0...Int(Int32.max)).contains(v) else { throw NPYError("\(labelArray.path): label \(v) at index \(i) is negative or too large") }
            labels[i] = Int32(v)
        }
    }
}

// MARK: - The C ABI

private func report(_ message: String, _ err: UnsafeMutablePointer<CChar>?, _ size: Int) -> Int32 {
    guard let err, size > 0 else { return 1 }
    let bytes = Array(message.utf8.prefix(size - 1))
    for (i, b) in bytes.enumerated() { err[i] = CChar(bitPattern: b) }
    err[bytes.count] = 0
    return 1
}

@_cdecl("npy_accepts")
func npyAccepts(_ path: UnsafePointer<CChar>?) -> Int32 {
    guard let path else { return 0 }
    let p = String(cString: path)
    if p.hasSuffix(".npy") { return 1 }
    var info = stat()
    let dir = p.hasSuffix("/") ? p : p + "/"
    return stat(p, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR && access(dir + "train.npy", F_OK) == 0 ? 1 : 0
}

@_cdecl("npy_open")
func npyOpen(_ path: UnsafePointer<CChar>?, _ request: UnsafePointer<vp_dataset_request>?, _ handle: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
             _ info: UnsafeMutablePointer<vp_dataset_info>?, _ err: UnsafeMutablePointer<CChar>?, _ size: Int) -> Int32 {
    guard let path, let handle, let info else { return report("missing arguments", err, size) }
    do {
        let d = try NPYDataset(path: String(cString: path))
        info.pointee = vp_dataset_info(train_count: Int64(d.splits[0].images.shape[0]),
                                       test_count: d.splits.count > 1 ? Int64(d.splits[1].images.shape[0]) : 0,
                                       height: Int64(d.height), width: Int64(d.width), channels: Int64(d.channels),
                                       has_labels: d.hasLabels ? 1 : 0)
        handle.pointee = Unmanaged.passRetained(d).toOpaque()
        return 0
    } catch {
        return report(error.message, err, size)
    }
}

@_cdecl("npy_read")
func npyRead(_ handle: UnsafeMutableRawPointer?, _ split: Int32, _ pixels: UnsafeMutablePointer<UInt8>?, _ labels: UnsafeMutablePointer<Int32>?,
             _ err: UnsafeMutablePointer<CChar>?, _ size: Int) -> Int32 {
    guard let handle, let pixels else { return report("missing arguments", err, size) }
    let d = Unmanaged<NPYDataset>.fromOpaque(handle).takeUnretainedValue()
    guard (0..<d.splits.count).contains(Int(split)) else { return report("no split \(split)", err, size) }
    do { try d.read(Int(split), pixels: pixels, labels: labels); return 0 } catch { return report(error.message, err, size) }
}

@_cdecl("npy_close")
func npyClose(_ handle: UnsafeMutableRawPointer?) {
    if let handle { Unmanaged<NPYDataset>.fromOpaque(handle).release() }
}

private func cString(_ s: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(s.utf8Start).assumingMemoryBound(to: CChar.self)
}

private let adapters: UnsafeMutablePointer<vp_adapter> = {
    let p = UnsafeMutablePointer<vp_adapter>.allocate(capacity: 1)
    p.initialize(to: vp_adapter(
        id: cString("npy"),
        summary: cString("NumPy .npy arrays, uint8 or float32, N x H x W [x C] (a file, or a directory with train.npy and test.npy; Swift plugin)"),
        accepts: npyAccepts, open: npyOpen, read: npyRead, close: npyClose))
    return p
}()

private let table: UnsafeMutablePointer<vp_plugin> = {
    let p = UnsafeMutablePointer<vp_plugin>.allocate(capacity: 1)
    p.initialize(to: vp_plugin(abi_version: UInt32(VAEPIPE_PLUGIN_ABI_VERSION), name: cString("npy-adapter"), version: cString("1.0.0"),
                               head_count: 0, heads: nil, adapter_count: 1, adapters: UnsafePointer(adapters),
                               exporter_count: 0, exporters: nil))
    return p
}()

@_cdecl("vaepipe_plugin")
public func vaepipePlugin() -> UnsafePointer<vp_plugin> { UnsafePointer(table) }

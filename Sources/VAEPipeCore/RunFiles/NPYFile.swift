import Foundation

/// NumPy's .npy format, version 1.0, so `numpy.load` reads what vaepipe writes: the magic
/// "\x93NUMPY", version bytes 1 0, a little-endian uint16 header length, then a Python dict
/// literal naming dtype, memory order and shape, and the raw C-order little-endian values.
public enum NPYFile {
    /// Float32 values (`<f4`), e.g. N x latent posterior means. Written atomically.
    public static func write(_ values: UnsafeBufferPointer<Float>, shape: [Int], to path: String) throws {
        try write(values, descr: "<f4", shape: shape, to: path)
    }

    public static func write(_ values: [Float], shape: [Int], to path: String) throws {
        try values.withUnsafeBufferPointer { try write($0, descr: "<f4", shape: shape, to: path) }
    }

    /// Int64 values (`<i8`, numpy's default integer), e.g. N class labels. Written atomically.
    public static func write(_ values: [Int64], shape: [Int], to path: String) throws {
        try values.withUnsafeBufferPointer { try write($0, descr: "<i8", shape: shape, to: path) }
    }

    static func write<T>(_ values: UnsafeBufferPointer<T>, descr: String, shape: [Int], to path: String) throws {
        precondition(shape.reduce(1, *) == values.count, "\(values.count) values do not fill shape \(shape)")
        let header = Self.header(descr: descr, shape: shape)
        var data = Data(capacity: header.count + values.count * MemoryLayout<T>.stride)
        data.append(contentsOf: header)
        data.append(values)  // x86-64 and arm64 are little-endian
        try AtomicFile.write(data, to: path)
    }

    /// The header dict is padded with spaces and ends in "\n" so the data starts at a multiple
    /// of 64 bytes, as the format requires (so memory-mapped data is aligned).
    static func header(descr: String, shape: [Int]) -> [UInt8] {
        // A Python tuple: "()" for a scalar, "(5,)" for one dimension, "(5, 3)" for two.
        let tuple = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dict = Array("{'descr': '\(descr)', 'fortran_order': False, 'shape': \(tuple), }".utf8)
        let prefix = 10  // magic (6) + version (2) + header length (2)
        let padding = (64 - (prefix + dict.count + 1) % 64) % 64
        dict += Array(repeating: 0x20, count: padding) + [0x0A]
        precondition(dict.count <= Int(UInt16.max), "shape \(shape) is too long for an .npy v1.0 header")
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(dict.count & 0xFF), UInt8(dict.count >> 8)] + dict
    }
}

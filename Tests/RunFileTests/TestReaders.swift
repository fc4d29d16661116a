import Foundation
@testable import VAEPipeCore

/// A TFRecord reader written from the format description, independent of the writer's code
/// paths except for CRC32C, so the tests can check framing and CRCs.
enum TFRecordReader {
    struct Failure: Error, CustomStringConvertible { var description: String }

    static func records(_ bytes: [UInt8]) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        var at = 0
        func le<T: FixedWidthInteger>(_ type: T.Type, _ offset: Int) -> T {
            bytes[offset..<(offset + MemoryLayout<T>.size)].reversed().reduce(0) { $0 << 8 | T($1) }
        }
        func unmask(_ masked: UInt32) -> UInt32 {
            let rot = masked &- 0xA282_EAD8
            return (rot >> 17) | (rot << 15)
        }
        while at < bytes.count {
            guard bytes.count - at >= 12 else { throw Failure(description: "torn header at \(at)") }
            let length = Int(le(UInt64.self, at))
            guard unmask(le(UInt32.self, at + 8)) == CRC32C.checksum(Array(bytes[at..<(at + 8)])) else {
                throw Failure(description: "length CRC mismatch at \(at)")
            }
            guard bytes.count - at - 12 >= length + 4 else { throw Failure(description: "torn record at \(at)") }
            let data = Array(bytes[(at + 12)..<(at + 12 + length)])
            guard unmask(le(UInt32.self, at + 12 + length)) == CRC32C.checksum(data) else {
                throw Failure(description: "data CRC mismatch at \(at)")
            }
            out.append(data)
            at += 12 + length + 4
        }
        return out
    }
}

/// Splits one protobuf message into its fields, enough to check what the writer encoded.
struct ProtobufFields {
    enum Value: Equatable { case varint(UInt64), fixed64(UInt64), fixed32(UInt32), bytes([UInt8]) }
    var fields: [(number: Int, value: Value)] = []

    init(_ bytes: [UInt8]) {
        var at = 0
        func varint() -> UInt64 {
            var v: UInt64 = 0, shift: UInt64 = 0
            while true {
                let b = bytes[at]; at += 1
                v |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return v }
                shift += 7
            }
        }
        func fixed(_ n: Int) -> UInt64 {
            defer { at += n }
            return bytes[at..<(at + n)].reversed().reduce(0) { $0 << 8 | UInt64($1) }
        }
        while at < bytes.count {
            let key = varint()
            let value: Value
            switch key & 7 {
            case 0: value = .varint(varint())
            case 1: value = .fixed64(fixed(8))
            case 5: value = .fixed32(UInt32(fixed(4)))
            case 2:
                let n = Int(varint())
                value = .bytes(Array(bytes[at..<(at + n)])); at += n
            default: fatalError("wire type \(key & 7) is not one vaepipe writes")
            }
            fields.append((Int(key >> 3), value))
        }
    }

    subscript(_ number: Int) -> Value? { fields.first { $0.number == number }?.value }

    func message(_ number: Int) -> ProtobufFields? {
        if case .bytes(let b)? = self[number] { return ProtobufFields(b) }
        return nil
    }

    func string(_ number: Int) -> String? {
        if case .bytes(let b)? = self[number] { return String(decoding: b, as: UTF8.self) }
        return nil
    }

    func int(_ number: Int) -> Int64? {
        if case .varint(let v)? = self[number] { return Int64(bitPattern: v) }
        return nil
    }
}

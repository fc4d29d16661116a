/// TFRecord framing, the container of TensorBoard event files: each record is its length
/// (uint64), a masked CRC-32C of those 8 length bytes, the data, and a masked CRC-32C of the
/// data, all little-endian. The length's own CRC lets a reader tell a torn tail from a record.
public enum TFRecord {
    public static func append(_ record: [UInt8], to out: inout [UInt8]) {
        let length = withUnsafeBytes(of: UInt64(record.count).littleEndian) { Array($0) }
        out += length
        appendLittleEndian(CRC32C.masked(CRC32C.checksum(length)), to: &out)
        out += record
        appendLittleEndian(CRC32C.masked(CRC32C.checksum(record)), to: &out)
    }

    static func appendLittleEndian(_ value: UInt32, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }
}

import XCTest
@testable import VAEPipeCore

final class TFRecordTests: XCTestCase {
    func testRecordsReadBackThroughTheirLengthAndCRCs() throws {
        let records: [[UInt8]] = [[], Array("brain.Event:2".utf8), (0..<300).map { UInt8($0 % 251) }]
        var file: [UInt8] = []
        for r in records { TFRecord.append(r, to: &file) }
        XCTAssertEqual(file.count, records.reduce(0) { $0 + 16 + $1.count })
        XCTAssertEqual(try TFRecordReader.records(file), records)
    }

    func testEmptyRecordMatchesTensorFlowsBytes() {
        // Length 0, masked CRC-32C of eight zero bytes, no data, masked CRC-32C of nothing.
        var file: [UInt8] = []
        TFRecord.append([], to: &file)
        XCTAssertEqual(Array(file[0..<8]), [0, 0, 0, 0, 0, 0, 0, 0])
        let lengthCRC = CRC32C.masked(CRC32C.checksum([UInt8](repeating: 0, count: 8)))
        XCTAssertEqual(Array(file[8..<12]), withUnsafeBytes(of: lengthCRC.littleEndian) { Array($0) })
        XCTAssertEqual(Array(file[12..<16]), withUnsafeBytes(of: CRC32C.masked(0).littleEndian) { Array($0) })
    }

    func testFlippedDataByteIsCaughtByTheDataCRC() {
        var file: [UInt8] = []
        TFRecord.append(Array("hello".utf8), to: &file)
        file[13] ^= 1
        XCTAssertThrowsError(try TFRecordReader.records(file)) { XCTAssertEqual("\($0)", "data CRC mismatch at 0") }
    }
}

import Foundation
import XCTest
import VAEPipeTestSupport
@testable import VAEPipeCore

final class NPYFileTests: XCTestCase {
    /// The same 128 bytes numpy 1.24's np.save writes for a float32 array of shape (3, 2).
    func testHeaderBytesForATwoDimensionalFloatArray() {
        let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }"
        let padded = dict + String(repeating: " ", count: 58) + "\n"
        let expected: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, 118, 0] + Array(padded.utf8)
        XCTAssertEqual(NPYFile.header(descr: "<f4", shape: [3, 2]), expected)
        XCTAssertEqual(expected.count, 128)
    }

    func testOneDimensionalShapeIsAOneElementTuple() {
        let header = String(decoding: NPYFile.header(descr: "<i8", shape: [5]).dropFirst(10), as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }"), header)
    }

    func testDataStartsAtAMultipleOf64ForAnyShape() {
        for shape in [[], [1], [60000, 20], [12, 345, 6789], [1, 2, 3, 4, 5, 6, 7, 8]] {
            let header = NPYFile.header(descr: "<f4", shape: shape)
            XCTAssertEqual(header.count % 64, 0, "\(shape)")
            XCTAssertEqual(header.last, 0x0A, "\(shape)")
            XCTAssertEqual(Int(header[8]) | Int(header[9]) << 8, header.count - 10, "\(shape)")
        }
    }

    func testFileIsTheHeaderThenTheValuesLittleEndian() throws {
        let path = Fixtures.temporaryDirectory() + "/latents.npy"
        try NPYFile.write([1, -2.5, 3, 4, 5, 6] as [Float], shape: [3, 2], to: path)
        let bytes = Array(try XCTUnwrap(FileManager.default.contents(atPath: path)))
        XCTAssertEqual(bytes.count, 128 + 6 * 4)
        XCTAssertEqual(Array(bytes[132..<136]), withUnsafeBytes(of: Float(-2.5).bitPattern.littleEndian) { Array($0) })

        let labels = Fixtures.temporaryDirectory() + "/labels.npy"
        try NPYFile.write([7, -1] as [Int64], shape: [2], to: labels)
        let labelBytes = Array(try XCTUnwrap(FileManager.default.contents(atPath: labels)))
        XCTAssertEqual(Array(labelBytes[136..<144]), [UInt8](repeating: 0xFF, count: 8))
    }

    func testMissingDirectoryIsReportedWithThePath() {
        let path = Fixtures.temporaryDirectory() + "/no/such/dir/latents.npy"
        XCTAssertThrowsError(try NPYFile.write([1] as [Float], shape: [1, 1], to: path)) { error in
            XCTAssertTrue("\(error)".hasPrefix(path + ": "), "\(error)")
        }
    }
}

import CZlib
import Foundation
import VAEPipeBuiltinPlugins
import VAEPipeTestSupport
import XCTest

final class IDXAdapterTests: XCTestCase {
    func write(_ bytes: [UInt8], _ name: String, in dir: String) -> String {
        let p = dir + "/" + name
        _ = FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }

    func gzip(_ bytes: [UInt8], to path: String) {
        let f = gzopen(path, "wb")!
        _ = bytes.withUnsafeBytes { gzwrite(f, $0.baseAddress, UInt32(bytes.count)) }
        gzclose(f)
    }

    func testReadsADirectoryWithTrainTestAndLabels() throws {
        let dir = Fixtures.idxDirectory(train: 12, test: 4, side: 5)
        XCTAssertTrue(IDXAdapter.accepts(path: dir))
        let d = try IDXAdapter.load(path: dir, options: DatasetOptions())
        XCTAssertEqual(d.train.count, 12)
        XCTAssertEqual(d.test?.count, 4)
        XCTAssertEqual(d.shape, ImageShape(height: 5, width: 5, channels: 1))
        XCTAssertEqual(d.train.labels, (0..<12).map { $0 % 4 })
        XCTAssertEqual(Array(try d.train.pixels(0).prefix(5)), [230, 230, 20, 20, 20])
    }

    func testReadsGzipAndRawFilesAlike() throws {
        let dir = Fixtures.temporaryDirectory()
        let bytes = Fixtures.idx(dimensions: [3, 2, 2], data: Array(0..<12))
        let raw = write(bytes, "raw-idx3-ubyte", in: dir)
        gzip(bytes, to: dir + "/packed.gz")
        for path in [raw, dir + "/packed.gz"] {
            XCTAssertTrue(IDXAdapter.accepts(path: path), path)
            let d = try IDXAdapter.load(path: path, options: DatasetOptions())
            XCTAssertEqual(try d.train.allPixels(), Array(0..<12))
            XCTAssertNil(d.test)
        }
    }

    func testLimitKeepsTheFirstImages() throws {
        let dir = Fixtures.idxDirectory(train: 20, test: 4, side: 3)
        let d = try IDXAdapter.load(path: dir, options: DatasetOptions(limit: 7))
        XCTAssertEqual(d.train.count, 7)
        XCTAssertEqual(d.train.labels?.count, 7)
    }

    func assertFails(_ bytes: [UInt8], containing reason: String, file: StaticString = #filePath, line: UInt = #line) {
        let dir = Fixtures.temporaryDirectory()
        let path = write(bytes, "bad-idx3-ubyte", in: dir)
        XCTAssertThrowsError(try IDXAdapter.load(path: path, options: DatasetOptions()), file: file, line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(path), "error does not name the file: \(text)", file: file, line: line)
            XCTAssertTrue(text.contains(reason), "expected '\(reason)' in: \(text)", file: file, line: line)
        }
    }

    func testWrongMagicIsReported() {
        assertFails([1, 2, 8, 3] + [UInt8](repeating: 0, count: 20), containing: "not an IDX file")
    }

    func testUnsupportedDataTypeIsReported() {
        assertFails([0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0], containing: "not supported")
    }

    func testTruncatedDataIsReported() {
        let full = Fixtures.idx(dimensions: [4, 3, 3], data: [UInt8](repeating: 7, count: 36))
        assertFails(Array(full.dropLast(5)), containing: "truncated")
    }

    func testTruncatedHeaderIsReported() {
        assertFails([0, 0, 8, 3, 0, 0], containing: "header is truncated")
    }

    func testExtraDataIsReported() {
        assertFails(Fixtures.idx(dimensions: [1, 2, 2], data: [1, 2, 3, 4, 5]), containing: "more data")
    }

    func testAbsurdDimensionsAreRefusedBeforeAllocating() {
        assertFails(Fixtures.idx(dimensions: [0x7FFF_FFFF, 0x7FFF_FFFF, 0x7FFF_FFFF], data: []), containing: "too large")
    }

    /// Under the 16 GiB cap, but the file holds 10 bytes: refused as truncated, with memory for
    /// what arrived rather than for what the header claims (under AddressSanitizer an 8 GiB
    /// allocation would itself be reported).
    func testHugeClaimOverATinyBodyIsTruncatedNotAllocated() {
        assertFails(Fixtures.idx(dimensions: [1 << 13, 1 << 10, 1 << 10], data: Array(repeating: 7, count: 10)),
                    containing: "has 10 bytes of data but its header (dimensions [8192, 1024, 1024]) says 8589934592: truncated")
    }

    func testCorruptGzipIsReported() {
        let dir = Fixtures.temporaryDirectory()
        let bytes = Fixtures.idx(dimensions: [50, 10, 10], data: (0..<5000).map { UInt8($0 % 251) })
        gzip(bytes, to: dir + "/x.gz")
        var gz = [UInt8](FileManager.default.contents(atPath: dir + "/x.gz")!)
        gz = Array(gz.prefix(gz.count / 2))
        _ = FileManager.default.createFile(atPath: dir + "/cut.gz", contents: Data(gz))
        XCTAssertThrowsError(try IDXAdapter.load(path: dir + "/cut.gz", options: DatasetOptions())) { error in
            XCTAssertTrue("\(error)".contains("cut.gz"), "\(error)")
        }
    }

    func testMismatchedLabelsAreReported() {
        let dir = Fixtures.idxDirectory(train: 8, test: 2, side: 2)
        _ = write(Fixtures.idx(dimensions: [5], data: [0, 1, 2, 3, 4]), "train-labels-idx1-ubyte", in: dir)
        XCTAssertThrowsError(try IDXAdapter.load(path: dir, options: DatasetOptions())) { error in
            XCTAssertTrue("\(error)".contains("labels"), "\(error)")
        }
    }
}

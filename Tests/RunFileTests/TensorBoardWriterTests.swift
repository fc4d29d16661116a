import Foundation
import XCTest
import VAEPipeTestSupport
@testable import VAEPipeCore

final class TensorBoardWriterTests: XCTestCase {
    func events(_ path: String) throws -> [ProtobufFields] {
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: path), path)
        return try TFRecordReader.records(Array(bytes)).map(ProtobufFields.init)
    }

    /// The record tensorboard 2.21's own EventFileWriter wrote for
    /// Event(wall_time=1.0, step=3, summary=Summary(value=[Value(tag="loss", simple_value=1.5)])).
    func testScalarRecordIsByteForByteWhatTensorBoardsOwnWriterWrites() {
        let hex = "1a00000000000000129bd82d09000000000000f03f10032a0d0a0b0a046c6f7373150000c03fe7aebd4f"
        let expected = stride(from: 0, to: hex.count, by: 2).map { i -> UInt8 in
            let start = hex.index(hex.startIndex, offsetBy: i)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
        }
        var record: [UInt8] = []
        TFRecord.append(TensorBoardEvent.scalar("loss", 1.5, step: 3, wallTime: 1.0), to: &record)
        XCTAssertEqual(record, expected)
    }

    func testFileIsNamedForTensorBoardAndOpensWithTheFileVersion() throws {
        let dir = Fixtures.temporaryDirectory() + "/tb"
        let writer = try TensorBoardWriter(directory: dir)
        let name = (writer.path as NSString).lastPathComponent
        XCTAssertTrue(name.hasPrefix("events.out.tfevents."), name)
        XCTAssertEqual(name.split(separator: ".")[3].count, 10, "ten-digit unix time: \(name)")
        let first = try XCTUnwrap(events(writer.path).first)
        XCTAssertEqual(first.string(3), "brain.Event:2")
        guard case .fixed64(let bits)? = first[1] else { return XCTFail("no wall_time") }
        XCTAssertEqual(Double(bitPattern: bits), Date().timeIntervalSince1970, accuracy: 60)
    }

    func testScalarIsASummaryValueWithTagAndFloat() throws {
        let writer = try TensorBoardWriter(directory: Fixtures.temporaryDirectory())
        writer.scalar("loss", 1.5, step: 7)
        try writer.flush()
        let event = try XCTUnwrap(events(writer.path).last)
        XCTAssertEqual(event.int(2), 7)
        let value = try XCTUnwrap(event.message(5)?.message(1))
        XCTAssertEqual(value.string(1), "loss")
        XCTAssertEqual(value[2], .fixed32(Float(1.5).bitPattern))
    }

    func testImageCarriesItsSizeColorspaceAndPNGBytes() throws {
        let writer = try TensorBoardWriter(directory: Fixtures.temporaryDirectory())
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]
        writer.image("samples", png: png, width: 30, height: 20, channels: 3, step: 2)
        try writer.close()
        let value = try XCTUnwrap(events(writer.path).last?.message(5)?.message(1))
        XCTAssertEqual(value.string(1), "samples")
        let image = try XCTUnwrap(value.message(4))
        XCTAssertEqual([image.int(1), image.int(2), image.int(3)], [20, 30, 3])
        XCTAssertEqual(image[4], .bytes(png))
    }

    func testEventsReachTheFileOnlyAtFlush() throws {
        let writer = try TensorBoardWriter(directory: Fixtures.temporaryDirectory())
        writer.scalar("loss", 3, step: 1)
        XCTAssertEqual(try events(writer.path).count, 2, "only the file version and session start before flush")
        try writer.flush()
        XCTAssertEqual(try events(writer.path).count, 3)
        try writer.flush()
        XCTAssertEqual(try events(writer.path).count, 3, "a second flush writes nothing again")
    }

    func testEveryWriterStartsANewFileWithASessionStartAtItsFirstStep() throws {
        let dir = Fixtures.temporaryDirectory()
        let first = try TensorBoardWriter(directory: dir)
        try first.close()
        let resumed = try TensorBoardWriter(directory: dir, resumingAt: 4)
        try resumed.close()
        XCTAssertNotEqual(first.path, resumed.path)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(),
                       [first.path, resumed.path].map { ($0 as NSString).lastPathComponent }.sorted())
        let firstStart = try XCTUnwrap(events(first.path).dropFirst().first)
        XCTAssertEqual(firstStart.int(2), 0)
        XCTAssertEqual(firstStart.message(7)?.int(1), 1, "SessionLog.status START")
        let start = try XCTUnwrap(events(resumed.path).dropFirst().first)
        XCTAssertEqual(start.int(2), 4)
        XCTAssertEqual(start.message(7)?.int(1), 1, "SessionLog.status START")
    }

    func testWritersStartedInTheSameSecondGetNamesThatSortInOrder() throws {
        let dir = Fixtures.temporaryDirectory()
        let names = try (0..<3).map { _ in try TensorBoardWriter.createFile(in: dir, time: 1_700_000_000) }
        names.forEach { close($0.1) }
        let host = TensorBoardWriter.hostName
        XCTAssertEqual(names.map { ($0.0 as NSString).lastPathComponent }, [
            "events.out.tfevents.1700000000.\(host)", "events.out.tfevents.1700000000.\(host).1",
            "events.out.tfevents.1700000000.\(host).2",
        ])
    }

    func testUnwritableDirectoryIsReportedWithItsPath() throws {
        let file = Fixtures.temporaryDirectory() + "/plain-file"
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data()))
        XCTAssertThrowsError(try TensorBoardWriter(directory: file + "/tb")) { error in
            XCTAssertTrue("\(error)".hasPrefix(file + "/tb: "), "\(error)")
        }
    }
}

import XCTest
import VAEPipeCore

/// Expected bytes are the worked examples of the protobuf encoding guide where it has them.
final class ProtobufWriterTests: XCTestCase {
    func encode(_ build: (inout ProtobufWriter) -> Void) -> [UInt8] {
        var w = ProtobufWriter()
        build(&w)
        return w.bytes
    }

    func testVarintsUseSevenBitsPerByteLeastSignificantFirst() {
        XCTAssertEqual(encode { $0.varint(0) }, [0x00])
        XCTAssertEqual(encode { $0.varint(1) }, [0x01])
        XCTAssertEqual(encode { $0.varint(127) }, [0x7F])
        XCTAssertEqual(encode { $0.varint(128) }, [0x80, 0x01])
        XCTAssertEqual(encode { $0.varint(150) }, [0x96, 0x01])
        XCTAssertEqual(encode { $0.varint(300) }, [0xAC, 0x02])
        XCTAssertEqual(encode { $0.varint(UInt64.max) }, [UInt8](repeating: 0xFF, count: 9) + [0x01])
    }

    func testIntegerFieldCarriesItsKey() {
        XCTAssertEqual(encode { $0.int64(1, 150) }, [0x08, 0x96, 0x01])
    }

    func testNegativeIntegerTakesTenBytes() {
        XCTAssertEqual(encode { $0.int64(2, -1) }, [0x10] + [UInt8](repeating: 0xFF, count: 9) + [0x01])
    }

    func testStringIsLengthDelimited() {
        XCTAssertEqual(encode { $0.string(2, "testing") }, [0x12, 0x07] + Array("testing".utf8))
    }

    func testEmbeddedMessageIsLengthDelimited() {
        XCTAssertEqual(encode { $0.message(3) { $0.int64(1, 150) } }, [0x1A, 0x03, 0x08, 0x96, 0x01])
    }

    func testDoubleAndFloatAreLittleEndianFixedWidth() {
        XCTAssertEqual(encode { $0.double(1, 1.0) }, [0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F])
        XCTAssertEqual(encode { $0.float(2, 1.0) }, [0x15, 0, 0, 0x80, 0x3F])
    }
}

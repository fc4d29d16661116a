import XCTest
@testable import VAEPipeCore

final class CRC32CTests: XCTestCase {
    func testCheckValueOfTheCastagnoliPolynomial() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([]), 0)
    }

    /// The iSCSI test vectors of RFC 3720, appendix B.4.
    func testRFC3720Vectors() {
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum((0..<32).map { UInt8($0) }), 0x46DD_794E)
        XCTAssertEqual(CRC32C.checksum((0..<32).map { UInt8(31 - $0) }), 0x113F_DB5C)
    }

    func testMaskRotatesByFifteenAndAddsTheTensorFlowConstant() {
        XCTAssertEqual(CRC32C.masked(0), 0xA282_EAD8)
        XCTAssertEqual(CRC32C.masked(1), (1 << 17) + 0xA282_EAD8)
        XCTAssertEqual(CRC32C.masked(1 << 15), 1 + 0xA282_EAD8)
    }
}

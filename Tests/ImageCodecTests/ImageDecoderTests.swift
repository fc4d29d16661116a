import XCTest
import VAEPipeImageCodecs

final class ImageDecoderTests: XCTestCase {
    func testSniffReadsMagicBytesOnly() {
        XCTAssertEqual(ImageFormat.sniff(PNGFixtures.gray2bit), .png)
        XCTAssertEqual(ImageFormat.sniff(JPEGFixtures.jpegGray), .jpeg)
        XCTAssertEqual(ImageFormat.sniff(Data(JPEGFixtures.jpegGray.prefix(8))), .jpeg)
        XCTAssertNil(ImageFormat.sniff(PNGFixtures.gray2bit.prefix(7)))
        XCTAssertNil(ImageFormat.sniff([UInt8]()))
        XCTAssertNil(ImageFormat.sniff(Array("GIF89a".utf8)))
    }

    func testDecodeFileSniffsContentNotExtension() throws {
        let path = try makeTemporaryDirectory() + "/really-a-png.jpg"
        try Data(PNGFixtures.grayAlpha).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try ImageDecoder.decodeFile(atPath: path).pixels, [10, 255, 200, 0])
    }

    func testDecodeFilePassesMinimumSizeToJPEG() throws {
        let path = try makeTemporaryDirectory() + "/quadrants.jpeg"
        try Data(JPEGFixtures.jpegBaseline).write(to: URL(fileURLWithPath: path))
        let image = try ImageDecoder.decodeFile(atPath: path, minimumSize: (4, 4))
        XCTAssertEqual([image.width, image.height, image.channels], [4, 4, 3])
    }

    func testMissingFileNamesThePath() {
        let path = "/nonexistent/vaepipe/missing.png"
        let error = assertCodecError(try ImageDecoder.decodeFile(atPath: path), reasonContains: "no such file")
        XCTAssertEqual(error?.description, "\(path): no such file or directory")
    }

    func testDirectoryIsReportedAsNotAnImage() throws {
        let directory = try makeTemporaryDirectory()
        let error = assertCodecError(try ImageDecoder.decodeFile(atPath: directory), reasonContains: "is a directory")
        XCTAssertEqual(error?.path, directory)
    }

    func testEmptyFileIsReported() throws {
        let path = try makeTemporaryDirectory() + "/empty.png"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data()))
        assertCodecError(try ImageDecoder.decodeFile(atPath: path), reasonContains: "empty file")
    }

    func testUnknownFormatIsReported() throws {
        let path = try makeTemporaryDirectory() + "/notes.png"
        try Data("just some text".utf8).write(to: URL(fileURLWithPath: path))
        assertCodecError(try ImageDecoder.decodeFile(atPath: path), reasonContains: "not a PNG or JPEG file")
    }

    func testTruncatedFileNamesThePathAndTheCause() throws {
        let path = try makeTemporaryDirectory() + "/cut.png"
        try Data(PNGFixtures.adam7RGB.prefix(100)).write(to: URL(fileURLWithPath: path))
        let error = assertCodecError(try ImageDecoder.decodeFile(atPath: path), reasonContains: "truncated PNG data")
        XCTAssertEqual(error?.path, path)
    }

    func testUnreadableFileSaysPermissionDenied() throws {
        // root reads any file whatever its mode, so chmod cannot provoke EACCES.
        try XCTSkipIf(geteuid() == 0, "running as root")
        let path = try makeTemporaryDirectory() + "/locked.png"
        try Data(PNGFixtures.gray2bit).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(chmod(path, 0), 0)
        assertCodecError(try ImageDecoder.decodeFile(atPath: path), reasonContains: "permission denied")
    }
}

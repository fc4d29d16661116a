import XCTest
import VAEPipeImageCodecs

extension RasterImage {
    func pixel(_ x: Int, _ y: Int) -> [UInt8] {
        let start = (y * width + x) * channels
        return Array(pixels[start..<start + channels])
    }
}

/// Fails unless `body` throws an ImageCodecError whose reason contains `reason`; returns it.
@discardableResult
func assertCodecError<T>(_ body: @autoclosure () throws -> T, reasonContains reason: String,
                         file: StaticString = #filePath, line: UInt = #line) -> ImageCodecError? {
    do {
        _ = try body()
        XCTFail("expected an ImageCodecError containing \"\(reason)\"", file: file, line: line)
    } catch let error as ImageCodecError {
        XCTAssertTrue(error.reason.contains(reason), "\"\(error)\" lacks \"\(reason)\"", file: file, line: line)
        return error
    } catch {
        XCTFail("expected an ImageCodecError, got \(error)", file: file, line: line)
    }
    return nil
}

/// Every channel within `tolerance` of `expected`; JPEG is lossy, so exact checks would be noise.
func assertPixel(_ image: RasterImage, _ x: Int, _ y: Int, near expected: [UInt8], tolerance: Int,
                 file: StaticString = #filePath, line: UInt = #line) {
    let actual = image.pixel(x, y)
    let close = actual.count == expected.count
        && zip(actual, expected).allSatisfy { abs(Int($0) - Int($1)) <= tolerance }
    XCTAssertTrue(close, "pixel (\(x),\(y)) is \(actual), expected \(expected) ± \(tolerance)", file: file, line: line)
}

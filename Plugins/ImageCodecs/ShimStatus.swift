import CImageShim

/// The message buffer every CImageShim call fills when it fails, and the error it becomes.
struct ShimStatus {
    var message = [CChar](repeating: 0, count: Int(VP_MSG_SIZE))

    var text: String { message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } }

    /// A failed decode; `format` and `library` name the codec: "truncated PNG data (libpng: …)".
    func decodeError(_ status: Int32, format: String, library: String, path: String) -> ImageCodecError {
        let what = switch status {
        case VP_TRUNCATED: "truncated \(format) data"
        case VP_CORRUPT: "corrupt \(format) data"
        case VP_NO_MEMORY: "out of memory decoding \(format)"
        // The shim checks the second call against the first; reaching this is our bug.
        default: "internal \(format) decoder error"
        }
        let detail = text
        return ImageCodecError(path: path, reason: detail.isEmpty ? what : "\(what) (\(library): \(detail))")
    }
}

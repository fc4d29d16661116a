/// Why an image could not be read or written, for one file; printed as one line.
public struct ImageCodecError: Error, CustomStringConvertible, Equatable, Sendable {
    public var path: String     // the file (or "<memory>")
    public var reason: String   // e.g. "truncated PNG data (libpng: ...)", "empty file"

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}

import Foundation

// Reading a checkpoint someone else may have written. A model file is passed around like any
// download, so every length, offset, shape and name in it is checked against the file itself
// before anything is allocated for it: the file is mapped, not read, and a tensor's values are
// copied out only once every entry of the header is known to be consistent.
extension Checkpoint {
    /// safetensors' own limit on the JSON header.
    static let maxHeaderBytes: UInt64 = 100_000_000
    /// More dimensions than any tensor here has; a guard against absurd shapes.
    static let maxRank = 8

    public static func read(from path: String) throws -> Checkpoint {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { throw VAEPipeError.missingPath(path) }
            throw VAEPipeError.badCheckpoint(path: path, reason: "cannot be read (\(String(cString: strerror(errno))))")
        }
        guard info.st_mode & S_IFMT != S_IFDIR else {
            throw VAEPipeError.badCheckpoint(path: path, reason: "is a directory, not a file")
        }
        // Foundation's read of an empty file leaks a page-sized buffer (LeakSanitizer), so what
        // cannot hold a header is refused unread; the rest is mapped, so that only what is
        // copied out costs memory.
        guard info.st_size >= 8 else { throw VAEPipeError.badCheckpoint(path: path, reason: tooShort(Int(info.st_size))) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw VAEPipeError.badCheckpoint(path: path, reason: "cannot be read (\(error.localizedDescription))")
        }
        return try decode(data, path: path)
    }

    public static func decode(_ data: Data, path: String) throws -> Checkpoint {
        func bad(_ reason: String) -> VAEPipeError { .badCheckpoint(path: path, reason: reason) }
        guard data.count >= 8 else { throw bad(tooShort(data.count)) }
        let declared = data.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard declared > 0, declared <= maxHeaderBytes else {
            throw bad("header length \(declared) is out of range (1 to \(maxHeaderBytes) bytes)")
        }
        let n = Int(declared)
        guard n <= data.count - 8 else { throw bad("header length \(n) exceeds the file size (\(data.count) bytes)") }
        guard let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as? [String: Any]
        else { throw bad("header is not a JSON object") }

        var meta: [String: String] = [:]
        if let m = header["__metadata__"] {
            guard let strings = m as? [String: String] else { throw bad("__metadata__ must map strings to strings") }
            meta = strings
        }
        guard let configText = meta["config"] else { throw bad("no vaepipe model configuration in the metadata") }
        let config: ModelConfig
        do { config = try JSONDecoder().decode(ModelConfig.self, from: Data(configText.utf8)) } catch {
            throw bad("the model configuration in the metadata is unreadable")
        }
        if let problem = config.problem { throw bad(problem) }

        let body = 8 + n, available = data.count - body
        let entries = try header.filter { $0.key != "__metadata__" }
            .map { try entry(name: $0.key, $0.value, available: available, bad: bad) }
            .sorted { ($0.start, $0.name) < ($1.start, $1.name) }
        // The format's buffer is every tensor back to back: no overlaps, no holes, nothing after.
        var end = 0
        for e in entries {
            if e.start < end { throw bad("tensor \(e.name) overlaps the tensor before it (bytes \(e.start) to \(e.end))") }
            if e.start > end { throw bad("\(e.start - end) unindexed bytes before tensor \(e.name)") }
            end = e.end
        }
        guard end == available else {
            throw bad("\(available - end) bytes after the last tensor that no tensor indexes")
        }

        var tensors: [Tensor] = []
        tensors.reserveCapacity(entries.count)
        for e in entries {
            var values = [Float](repeating: 0, count: e.count)
            values.withUnsafeMutableBytes { dst in
                data.copyBytes(to: dst.bindMemory(to: UInt8.self), from: (body + e.start)..<(body + e.end))
            }
            if let i = values.firstIndex(where: { !$0.isFinite }) {
                throw bad("tensor \(e.name) holds a non-finite value (\(values[i]) at element \(i))")
            }
            tensors.append(Tensor(name: e.name, shape: e.shape, values: values))
        }
        tensors.sort { $0.name < $1.name }
        return Checkpoint(config: config, tensors: tensors, metadata: meta)
    }

    private static func tooShort(_ bytes: Int) -> String { "file is \(bytes) bytes, too short for a safetensors header" }

    private struct Entry {
        var name: String, shape: [Int], count: Int, start: Int, end: Int
    }

    /// One tensor's header entry, checked on its own: dtype, shape, and a byte range inside the
    /// `available` bytes after the header that holds exactly shape's elements.
    private static func entry(name: String, _ value: Any, available: Int, bad: (String) -> VAEPipeError) throws -> Entry {
        guard !name.isEmpty, name.utf8.count <= 256 else { throw bad("a tensor name is empty or over 256 bytes") }
        guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
              let shape = info["shape"] as? [Int], let range = info["data_offsets"] as? [Int], range.count == 2
        else { throw bad("tensor \(name) has a malformed entry") }
        guard dtype == "F32" else { throw bad("tensor \(name) is \(dtype), expected F32") }
        guard shape.count <= maxRank, shape.allSatisfy({ $0 >= 0 }) else {
            throw bad("tensor \(name) has an impossible shape \(shape)")
        }
        // Every element must fit in the file, which also keeps the product from overflowing.
        var count = 1
        for d in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, p <= available / 4 else {
                throw bad("tensor \(name) has shape \(shape): more data than the file holds")
            }
            count = p
        }
        let (start, end) = (range[0], range[1])
        guard start >= 0, end >= start, end <= available else {
            throw bad("tensor \(name) lies outside the file (bytes \(start) to \(end) of \(available); truncated?)")
        }
        guard end - start == 4 * count else {
            throw bad("tensor \(name) has \(end - start) bytes for shape \(shape) (\(4 * count) expected)")
        }
        return Entry(name: name, shape: shape, count: count, start: start, end: end)
    }
}

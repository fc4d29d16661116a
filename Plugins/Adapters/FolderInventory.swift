import VAEPipeImageCodecs

/// What the headers of a folder's usable files add up to, in lines for `vaepipe inspect`:
/// formats, colour types, sizes, and the files whose names or orientation are misleading.
enum FolderInventory {
    static func lines(_ files: [FolderFile]) -> [(label: String, text: String)] {
        guard !files.isEmpty else { return [] }
        var lines: [(label: String, text: String)] = []
        lines.append(("formats", tally(files.map { f in
            f.header.format == .png ? (f.header.progressive ? "PNG (interlaced)" : "PNG")
                : (f.header.progressive ? "JPEG (progressive)" : "JPEG")
        })))
        lines.append(("colour", tally(files.map { f in
            f.header.bitDepth == 8 ? f.header.colour.rawValue : "\(f.header.colour.rawValue) \(f.header.bitDepth)-bit"
        })))
        let widths = files.map(\.header.width).sorted(), heights = files.map(\.header.height).sorted()
        let pixels = files.map { $0.header.width * $0.header.height }.sorted()
        let median = files.first { $0.header.width * $0.header.height == pixels[pixels.count / 2] }!.header
        lines.append(("sizes", "width \(widths.first!)-\(widths.last!), height \(heights.first!)-\(heights.last!), "
                      + "median \(median.width)x\(median.height)"))
        let turned = files.filter { $0.header.orientation != .up }.count
        if turned > 0 { lines.append(("orientation", "\(turned) JPEG(s) turned upright by their EXIF orientation")) }
        let misnamed = files.filter { !claims($0.path, $0.header.format) }
        if !misnamed.isEmpty {
            let example = misnamed[0]
            lines.append(("names", "\(misnamed.count) file(s) named for another format, read by content "
                          + "(e.g. \(example.path) is \(example.header.format == .png ? "a PNG" : "a JPEG"))"))
        }
        return lines
    }

    static let extensions: [ImageFormat: Set<String>] = [.png: ["png"], .jpeg: ["jpg", "jpeg", "jpe", "jfif"]]

    /// Lower-cased, without the dot; "" for none. Scans bytes from the end: it runs on every
    /// file of a folder.
    static func fileExtension(_ path: String) -> String {
        let bytes = path.utf8
        guard let dot = bytes.lastIndex(of: UInt8(ascii: ".")) else { return "" }
        if let slash = bytes.lastIndex(of: UInt8(ascii: "/")), slash > dot { return "" }
        return String(path[path.index(after: dot)...]).lowercased()
    }

    /// Whether the file's name says the format its bytes have (no extension claims nothing).
    static func claims(_ path: String, _ format: ImageFormat) -> Bool {
        let ext = fileExtension(path)
        return ext.isEmpty || extensions[format]!.contains(ext) || !extensions.values.contains { $0.contains(ext) }
    }

    /// "RGB 12, gray 3": most common first, ties by name.
    static func tally(_ values: [String]) -> String {
        var counts: [String: Int] = [:]
        for v in values { counts[v, default: 0] += 1 }
        return counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }
}

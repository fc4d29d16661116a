import Foundation
import VAEPipeCore
import VAEPipeImageCodecs

/// A folder of PNG and JPEG images, walked recursively in sorted order (torchvision's
/// ImageFolder: labels come from first-level sub-folders when every image sits in one).
/// Formats are sniffed from magic bytes. Files that claim to be images but cannot be decoded
/// are skipped and reported; other files are ignored.
public enum ImageFolderAdapter: DatasetAdapter {
    public static let id = "images"
    public static let summary = "a folder of PNG/JPEG images (recursive; gray, RGB, RGBA; resized and center-cropped to --size)"
    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "jpe", "jfif"]

    public static func accepts(path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    /// Candidate files: sorted, hidden entries skipped, either an image extension or image magic.
    static func listCandidates(_ root: String) -> [String] {
        var found: [String] = []
        func walk(_ dir: String) {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
            for name in names.sorted() where !name.hasPrefix(".") {
                let p = (dir as NSString).appendingPathComponent(name)
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir) else { continue }
                if isDir.boolValue { walk(p); continue }
                if imageExtensions.contains((name as NSString).pathExtension.lowercased()) || sniffsAsImage(p) {
                    found.append(p)
                }
            }
        }
        walk(root)
        return found
    }

    static func sniffsAsImage(_ path: String) -> Bool {
        guard let h = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? h.close() }
        return ImageFormat.sniff(h.readData(ofLength: 8)) != nil
    }

    public static func load(path: String, options: DatasetOptions) throws -> Dataset {
        guard accepts(path: path) else {
            var isDir: ObjCBool = false
            if !FileManager.default.fileExists(atPath: path, isDirectory: &isDir) { throw VAEPipeError.missingPath(path) }
            throw VAEPipeError.badFile(path: path, reason: "not a directory of images")
        }
        let all = listCandidates(path)
        let files = options.limit.map { Array(all.prefix($0)) } ?? all
        let size = options.size

        // Decode in parallel; each worker writes only its own slot.
        let results = ResultSlots(count: files.count)
        DispatchQueue.concurrentPerform(iterations: files.count) { i in
            do {
                let image = try ImageDecoder.decodeFile(atPath: files[i], minimumSize: (size, size))
                results.set(i, .success(normalise(image, size: size)))
            } catch {
                results.set(i, .failure(error))
            }
        }

        var decoded: [(path: String, pixels: [UInt8], channels: Int)] = []
        var skipped: [SkippedFile] = []
        for (i, file) in files.enumerated() {
            switch results.get(i) {
            case .success(let (pixels, channels)): decoded.append((file, pixels, channels))
            case .failure(let error as ImageCodecError): skipped.append(SkippedFile(path: file, reason: error.reason))
            case .failure(let error): skipped.append(SkippedFile(path: file, reason: "\(error)"))
            }
        }
        guard !decoded.isEmpty else {
            throw VAEPipeError.noUsableImages(path: path, skipped: skipped.count, examples: skipped)
        }

        // One channel count for the whole set: colour if any image has colour.
        let channels = decoded.contains { $0.channels == 3 } ? 3 : 1
        let shape = ImageShape(height: size, width: size, channels: channels)
        var pixels: [UInt8] = []
        pixels.reserveCapacity(decoded.count * shape.count)
        for item in decoded {
            if item.channels == channels { pixels += item.pixels }
            else { for v in item.pixels { pixels.append(v); pixels.append(v); pixels.append(v) } }
        }

        let (labels, classNames) = labelsFromFolders(root: path, files: decoded.map(\.path))
        return Dataset(source: path, adapterID: id, train: ImageSet(shape: shape, pixels: pixels, labels: labels),
                       classNames: classNames, skipped: skipped)
    }

    /// Gray or RGB at size x size: alpha composited over white (what a viewer shows for a
    /// transparent background), then resized and center-cropped.
    static func normalise(_ image: RasterImage, size: Int) -> ([UInt8], Int) {
        var img = image
        if img.channels == 2 || img.channels == 4 {
            let c = img.channels - 1
            var flat = [UInt8](repeating: 0, count: img.width * img.height * c)
            for p in 0..<(img.width * img.height) {
                let a = Int(img.pixels[p * img.channels + c])
                for ch in 0..<c {
                    let v = Int(img.pixels[p * img.channels + ch])
                    flat[p * c + ch] = UInt8((v * a + 255 * (255 - a) + 127) / 255)
                }
            }
            img = RasterImage(width: img.width, height: img.height, channels: c, pixels: flat)
        }
        let out = img.pixels.withUnsafeBufferPointer {
            Resample.resizeAndCenterCrop($0, width: img.width, height: img.height, channels: img.channels, size: size)
        }
        return (out, img.channels)
    }

    static func labelsFromFolders(root: String, files: [String]) -> ([Int]?, [String]) {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        let classOf = files.map { f -> String? in
            let rel = f.hasPrefix(prefix) ? String(f.dropFirst(prefix.count)) : f
            let parts = rel.split(separator: "/")
            return parts.count > 1 ? String(parts[0]) : nil
        }
        guard !classOf.contains(where: { $0 == nil }) else { return (nil, []) }
        let names = Array(Set(classOf.compactMap { $0 })).sorted()
        guard names.count > 1 else { return (nil, []) }
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        return (classOf.map { index[$0!]! }, names)
    }
}

/// Per-index results written by concurrent workers (each index by exactly one worker).
private final class ResultSlots: @unchecked Sendable {
    private var slots: [Result<([UInt8], Int), Error>?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<([UInt8], Int), Error>) { lock.lock(); slots[i] = r; lock.unlock() }
    func get(_ i: Int) -> Result<([UInt8], Int), Error> { slots[i]! }
}

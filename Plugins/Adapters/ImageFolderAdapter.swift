import Foundation
import VAEPipeCore
import VAEPipeImageCodecs

/// A folder of PNG and JPEG images, walked recursively in sorted order (torchvision's
/// ImageFolder: labels come from first-level sub-folders when every image sits in one).
/// Formats are sniffed from magic bytes. Every file's header is read first, in parallel: bombs,
/// empty, unreadable and non-image files are skipped (or fatal, `--on-bad-file fail`) before
/// training. Then the images are decoded into memory when they fit `--cache-limit`
/// (`--cache memory`), or streamed: decoded again for every batch, with bounded memory.
public enum ImageFolderAdapter: DatasetAdapter {
    public static let id = "images"
    public static let summary = "a folder of PNG/JPEG images (recursive; labels from sub-folders; resized to --size)"
    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "jpe", "jfif"]
    /// Images in formats vaepipe does not read: skipped with that reason rather than ignored.
    static let otherImageExtensions: Set<String> = ["gif", "bmp", "webp", "tif", "tiff", "heic", "avif"]

    public static func accepts(path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    /// Files to look at: an image extension, or PNG/JPEG magic under another name.
    static func listCandidates(_ root: String) -> [String] {
        FolderWalk.files(under: root).filter { path in
            let ext = FolderInventory.fileExtension(path)
            return imageExtensions.contains(ext) || otherImageExtensions.contains(ext) || sniffsAsImage(path)
        }
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
        let candidates = listCandidates(path)
        let (files, skipped) = try readHeaders(candidates, options: options)
        guard !files.isEmpty else {
            throw VAEPipeError.noUsableImages(path: path, skipped: skipped.count, examples: skipped)
        }
        // One channel count for the whole set: colour if any image has colour.
        let channels = options.channels ?? (files.contains { $0.header.colour.hasColour } ? 3 : 1)
        let shape = ImageShape(height: options.height, width: options.width, channels: channels)
        let loader = FolderImageLoader(files: files, shape: shape, resize: options.resize,
                                       background: options.background, maxPixels: options.maxPixels)
        var dataset: Dataset, paths: [String]
        let bytes = files.count * shape.count
        if options.cache == .memory && bytes <= options.cacheLimit {
            (dataset, paths) = try decodeIntoMemory(loader, root: path, skipped: skipped, options: options)
        } else {
            let (labels, classNames) = labelsFromFolders(root: path, files: files.map(\.path))
            let stream = StreamedImages(loader: loader, source: path, policy: options.onBadFile, workers: options.workers)
            dataset = Dataset(source: path, adapterID: id, train: ImageSet(streaming: stream, labels: labels),
                              classNames: classNames, skipped: skipped)
            let why = options.cache == .none ? "--cache none"
                : "\(megabytes(bytes)) decoded would exceed --cache-limit \(megabytes(options.cacheLimit))"
            dataset.notes = ["streaming: every epoch decodes its images again on \(stream.workers) worker(s) (\(why))"]
            dataset.inventory = FolderInventory.lines(files)
            paths = files.map(\.path)
        }
        HeldOutSplit.apply(to: &dataset, paths: paths, root: path, fraction: options.testFraction)
        dataset.files = candidates
        return dataset
    }

    /// Headers of every candidate, in parallel, in blocks so that `--limit` stops early.
    static func readHeaders(_ candidates: [String], options: DatasetOptions) throws -> ([FolderFile], [SkippedFile]) {
        var files: [FolderFile] = [], skipped: [SkippedFile] = []
        let limit = options.limit ?? Int.max
        var start = 0
        while start < candidates.count && files.count < limit {
            let block = Array(candidates[start..<min(start + 4096, candidates.count)])
            let maxPixels = options.maxPixels
            let headers = ParallelMap.map(block.count, workers: options.workers) { i in
                Result { () throws(ImageCodecError) in try ImageHeader.read(atPath: block[i], maxPixels: maxPixels) }
            }
            for (path, header) in zip(block, headers) where files.count < limit {
                switch header {
                case .success(let h): files.append(FolderFile(path: path, header: h))
                case .failure(let e):
                    if options.onBadFile == .fail { throw VAEPipeError.badFile(path: path, reason: e.reason + BadFilePolicy.failHint) }
                    skipped.append(SkippedFile(path: path, reason: e.reason))
                }
            }
            start += block.count
        }
        return (files, skipped)
    }

    /// Every image decoded once, in parallel, into one 8-bit buffer; files that fail are
    /// skipped (or fatal) here, so the set holds only good images. The good ones are moved up
    /// over the gaps in place: the cache never needs twice its size. Returns the kept files' paths too.
    static func decodeIntoMemory(_ loader: FolderImageLoader, root: String, skipped: [SkippedFile],
                                 options: DatasetOptions) throws -> (Dataset, [String]) {
        let start = DispatchTime.now().uptimeNanoseconds
        let d = loader.shape.count, n = loader.count
        var kept: [FolderFile] = [], late: [SkippedFile] = []
        let pixels = try [UInt8](unsafeUninitializedCapacity: n * d) { buffer, initialized in
            initialized = 0
            let target = SendablePointer(buffer.baseAddress!)
            let failures = ParallelMap.map(n, workers: options.workers) { i -> String? in
                do { try loader.load(i, into: target.pointer + i * d); return nil } catch {
                    if case VAEPipeError.badFile(_, let reason) = error { return reason }
                    return "\(error)"
                }
            }
            for i in 0..<n {
                if let reason = failures[i] {
                    if options.onBadFile == .fail { throw VAEPipeError.badFile(path: loader.path(i), reason: reason + BadFilePolicy.failHint) }
                    late.append(SkippedFile(path: loader.path(i), reason: reason))
                    continue
                }
                if kept.count != i { (target.pointer + kept.count * d).update(from: target.pointer + i * d, count: d) }
                kept.append(loader.files[i])
            }
            initialized = kept.count * d
        }
        guard !kept.isEmpty else {
            throw VAEPipeError.noUsableImages(path: root, skipped: skipped.count + late.count, examples: skipped + late)
        }
        let (labels, classNames) = labelsFromFolders(root: root, files: kept.map(\.path))
        var dataset = Dataset(source: root, adapterID: id, train: ImageSet(shape: loader.shape, pixels: pixels, labels: labels),
                              classNames: classNames, skipped: (skipped + late).sorted { $0.path < $1.path })
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        dataset.notes = [String(format: "decoded %d images into memory (%@) in %.1fs on %d worker(s) (--cache memory)",
                                kept.count, megabytes(pixels.count), seconds, max(1, min(options.workers, n)))]
        dataset.inventory = FolderInventory.lines(kept)
        return (dataset, kept.map(\.path))
    }

    /// "235 MiB", "1.5 GiB", "64 KiB", "768 bytes".
    static func megabytes(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) bytes" }
        if bytes >= 1 << 30 { return String(format: "%.1f GiB", Double(bytes) / Double(1 << 30)) }
        if bytes >= 1 << 20 { return String(format: "%.0f MiB", (Double(bytes) / Double(1 << 20)).rounded(.up)) }
        return String(format: "%.0f KiB", (Double(bytes) / 1024).rounded(.up))
    }


    static func labelsFromFolders(root: String, files: [String]) -> ([Int]?, [String]) {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        let classOf = files.map { f -> String? in
            let rel = f.hasPrefix(prefix) ? String(f.dropFirst(prefix.count)) : f
            let parts = rel.split(separator: "/")
            return parts.count > 1 ? String(parts[0]) : nil
        }
        guard !classOf.contains(where: { $0 == nil }) else { return (nil, []) }
        let names = Array(Set(classOf.compactMap { $0 })).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        guard names.count > 1 else { return (nil, []) }
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        return (classOf.map { index[$0!]! }, names)
    }
}

/// A buffer that parallel workers write disjoint parts of.
private struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<UInt8>
    init(_ pointer: UnsafeMutablePointer<UInt8>) { self.pointer = pointer }
}

import ArgumentParser
import VAEPipeBuiltinPlugins

/// Options every command that reads data shares.
struct DataOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Dataset: an IDX file (raw or .gz), a directory of IDX files, or a folder of PNG/JPEG images.",
                               valueName: "path"))
    var data: String?

    @Option(help: ArgumentHelp("Force a dataset adapter instead of sniffing (see `vaepipe plugins`).", valueName: "id"))
    var adapter: String?

    @Option(help: "Use at most this many training images.")
    var limit: Int?

    @Option(help: ArgumentHelp("Image folders: the size images are brought to, 64 (square) or WxH such as 64x48 (default: 32 for train, the model's for the others). IDX data keeps its own size.",
                               valueName: "n|WxH"))
    var size: ImageSize?

    @Option(help: "Image folders: fill (scale to cover, center-crop), fit (scale to fit, letterbox onto --background), stretch (ignore the aspect ratio).")
    var resize: ResizeMode = .fill

    @Option(help: "Image folders: 1 gray, 3 RGB, 4 RGBA (default: RGB if any image has colour, gray otherwise; alpha only when asked).")
    var channels: Int?

    @Option(help: ArgumentHelp("Image folders: colour under transparent pixels and around fitted images: white, black, gray, red, green, blue or #RRGGBB.",
                               valueName: "colour"))
    var background: RGBColor = .white

    @Option(help: ArgumentHelp("Image folders: hold out this share of the images as the test split, chosen by file path so it never changes with the order or the worker count (default: 0.1 from 300 images up, none below).", valueName: "F"))
    var testFraction: Double?

    @Option(help: "Image folders: decode threads (default: the number of cores).")
    var workers: Int?

    @Option(help: "Image folders: memory decodes the images once into memory when they fit --cache-limit (streams otherwise); none decodes them again every epoch, in bounded memory.")
    var cache: CacheMode = .memory

    @Option(help: ArgumentHelp("Image folders: most memory --cache memory may use for decoded pixels, e.g. 512M or 2G (default: 1G, or a quarter of RAM if less).",
                               valueName: "bytes"))
    var cacheLimit: ByteCount?

    @Option(help: "Image folders: what to do with a file that cannot be used: skip (list it in RUN_DIR/skipped.txt and go on) or fail.")
    var onBadFile: BadFilePolicy = .skip

    @Option(help: "Image folders: refuse images that declare more pixels than this (decompression bombs), before decoding them.")
    var maxPixels: Int = 64_000_000

    /// The dataset path; `validateLimit` has made sure there is one where it is required.
    var path: String { data ?? "" }

    /// `dataRequired: false` only for `train --resume`, which reads it from the run.
    func validateLimit(dataRequired: Bool = true) throws {
        if dataRequired && data == nil { throw ValidationError("Missing expected argument '--data <path>'") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1.") }
    }

    func validate() throws {
        if let size, !(4...1024).contains(size.width) || !(4...1024).contains(size.height) {
            throw ValidationError("--size must be between 4 and 1024 (each side of WxH too).")
        }
        if let channels, ![1, 3, 4].contains(channels) { throw ValidationError("--channels must be 1, 3 or 4.") }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1.") }
        if maxPixels < 1 { throw ValidationError("--max-pixels must be at least 1.") }
        if let testFraction, !(testFraction >= 0 && testFraction < 1) { throw ValidationError("--test-fraction must be at least 0 and under 1.") }
    }

    /// What the adapters get; `size` and `channels` fall back to `shape` (a model's) or 32 x 32.
    func datasetOptions(matching shape: ImageShape? = nil) -> DatasetOptions {
        let target = size ?? shape.map { ImageSize(width: $0.width, height: $0.height) } ?? ImageSize(width: 32, height: 32)
        var o = DatasetOptions(width: target.width, height: target.height, limit: limit)
        o.resize = resize
        o.channels = channels ?? shape?.channels
        o.background = background
        o.workers = workers ?? Parallel.cores
        o.cache = cache
        o.cacheLimit = cacheLimit?.bytes ?? DatasetOptions.defaultCacheLimit
        o.onBadFile = onBadFile
        o.maxPixels = maxPixels
        o.testFraction = testFraction
        return o
    }
}

/// `--size`: `64` or `64x48` (width x height).
struct ImageSize: ExpressibleByArgument, CustomStringConvertible {
    var width: Int
    var height: Int
    init(width: Int, height: Int) { self.width = width; self.height = height }

    init?(argument: String) {
        let parts = argument.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let w = Int(parts[0]), let h = Int(parts.last!) else { return nil }
        self.init(width: w, height: h)
    }

    var description: String { width == height ? "\(width)" : "\(width)x\(height)" }
}

/// `--cache-limit`: bytes, with an optional K, M, G (powers of 1024) and optional "iB"/"B".
struct ByteCount: ExpressibleByArgument {
    var bytes: Int

    init?(argument: String) {
        var text = argument.uppercased()
        for suffix in ["IB", "B"] where text.hasSuffix(suffix) { text.removeLast(suffix.count); break }
        let scale = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40][text.last.map(String.init) ?? ""]
        if scale != nil { text.removeLast() }
        // Past Int.max (1e300, inf) the conversion would trap: such a limit is no limit anyone meant.
        guard let value = Double(text), value >= 0, value * Double(scale ?? 1) < Double(Int.max) else { return nil }
        bytes = Int(value * Double(scale ?? 1))
    }
}

extension ResizeMode: ExpressibleByArgument {}
extension CacheMode: ExpressibleByArgument {}
extension BadFilePolicy: ExpressibleByArgument {}
extension RGBColor: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
    public var defaultValueDescription: String { description }
}

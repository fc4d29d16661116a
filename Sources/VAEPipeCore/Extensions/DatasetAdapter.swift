/// Height x width x channels of one image; pixels are stored interleaved (HWC), row-major.
public struct ImageShape: Codable, Sendable, Equatable, CustomStringConvertible {
    public var height: Int
    public var width: Int
    public var channels: Int
    public init(height: Int, width: Int, channels: Int) {
        self.height = height; self.width = width; self.channels = channels
    }
    public var count: Int { height * width * channels }
    public var description: String { "\(width)x\(height)x\(channels)" }
}

/// A split held in memory as 8-bit pixels: a quarter of the Float32 footprint, and converting
/// to [0, 1] while a batch is gathered costs nothing next to a training step.
public struct ImageSet: Sendable {
    public var shape: ImageShape
    public var pixels: [UInt8]
    public var labels: [Int]?

    public init(shape: ImageShape, pixels: [UInt8], labels: [Int]? = nil) {
        precondition(pixels.count % max(shape.count, 1) == 0)
        self.shape = shape; self.pixels = pixels; self.labels = labels
    }

    public var count: Int { shape.count == 0 ? 0 : pixels.count / shape.count }

    /// The first `n` examples (all of them when n is nil or larger).
    public func prefix(_ n: Int?) -> ImageSet {
        guard let n, n < count else { return self }
        return ImageSet(shape: shape, pixels: Array(pixels[0..<(n * shape.count)]),
                        labels: labels.map { Array($0.prefix(n)) })
    }

    /// `n` examples spread evenly over the set: a fair cross-section of a folder sorted by class.
    public func evenlySpaced(_ n: Int) -> ImageSet {
        guard n < count else { return self }
        let d = shape.count
        var out: [UInt8] = []
        out.reserveCapacity(n * d)
        let picks = (0..<n).map { $0 * count / n }
        for i in picks { out += pixels[(i * d)..<((i + 1) * d)] }
        return ImageSet(shape: shape, pixels: out, labels: labels.map { l in picks.map { l[$0] } })
    }

    /// Writes example `index` as Float32 in [0, 1] to `out[shape.count]`.
    public func copyNormalized(_ index: Int, into out: UnsafeMutablePointer<Float>) {
        let d = shape.count
        pixels.withUnsafeBufferPointer { p in
            let src = p.baseAddress! + index * d
            for i in 0..<d { out[i] = Float(src[i]) * (1 / 255) }
        }
    }
}

/// A file an adapter could not use, and why; reported, never fatal on its own.
public struct SkippedFile: Sendable, Equatable {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) { self.path = path; self.reason = reason }
}

/// What an adapter read: a training split, an optional test split, and what it skipped.
public struct Dataset: Sendable {
    public var source: String
    public var adapterID: String
    public var train: ImageSet
    public var test: ImageSet?
    public var classNames: [String]
    public var skipped: [SkippedFile]

    public init(source: String, adapterID: String, train: ImageSet, test: ImageSet? = nil,
                classNames: [String] = [], skipped: [SkippedFile] = []) {
        self.source = source; self.adapterID = adapterID; self.train = train; self.test = test
        self.classNames = classNames; self.skipped = skipped
    }

    public var shape: ImageShape { train.shape }
    /// Where a score is measured: the test split, or all the data when there is none.
    public var evaluationSet: ImageSet { test ?? train }
}

/// Options an adapter may honour. IDX files keep their native size.
public struct DatasetOptions: Sendable {
    /// Target side (square) for image folders: resize the shorter side, then center-crop.
    public var size: Int
    /// Decode at most this many training images (nil: all).
    public var limit: Int?
    public init(size: Int = 32, limit: Int? = nil) { self.size = size; self.limit = limit }
}

/// Reads one kind of dataset. A plugin: a conformance plus one registration line.
public protocol DatasetAdapter {
    static var id: String { get }
    static var summary: String { get }
    /// A cheap look (magic bytes, directory entries) deciding whether this adapter reads `path`.
    static func accepts(path: String) -> Bool
    static func load(path: String, options: DatasetOptions) throws -> Dataset
}

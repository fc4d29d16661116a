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

    /// Every file the adapter looked at (skipped ones too), for the fingerprint in run.json.
    public var files: [String] = []
    /// What an adapter found, for `vaepipe inspect`: ("formats", "JPEG 12, PNG 3"), ...
    public var inventory: [(label: String, text: String)] = []
    /// How the data is held (in memory, streamed), printed under the data line.
    public var notes: [String] = []

    public var shape: ImageShape { train.shape }

    /// The files skipped while loading, then those that failed to decode later, while streaming.
    public var skippedSoFar: [SkippedFile] {
        // A folder's held-out split streams from the same files as its training split.
        let testStream = test?.streamed.flatMap { $0 === train.streamed ? nil : $0 }
        return skipped + (train.streamed?.skipped ?? []) + (testStream?.skipped ?? [])
    }

    /// Where a score is measured: the test split, or all the data when there is none.
    public var evaluationSet: ImageSet { test ?? train }
}

/// Reads one kind of dataset. A plugin: a conformance plus one registration line.
public protocol DatasetAdapter {
    static var id: String { get }
    static var summary: String { get }
    /// A cheap look (magic bytes, directory entries) deciding whether this adapter reads `path`.
    static func accepts(path: String) -> Bool
    static func load(path: String, options: DatasetOptions) throws -> Dataset
}

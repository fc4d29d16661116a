/// A split of 8-bit images: either held in memory (IDX files, cached folders) or streamed,
/// each image decoded from its file when a batch needs it (folders too big to hold). Trainer,
/// Evaluator and the exporters see the same type either way.
public struct ImageSet: Sendable {
    public var shape: ImageShape
    public var labels: [Int]?
    private var storage: Storage

    private enum Storage: Sendable {
        case memory([UInt8])
        /// The images at these indices of the stream, in this order.
        case streamed(StreamedImages, [Int])
    }

    /// 8-bit pixels in memory: a quarter of the Float32 footprint, and converting to [0, 1]
    /// while a batch is gathered costs nothing next to a training step.
    public init(shape: ImageShape, pixels: [UInt8], labels: [Int]? = nil) {
        precondition(pixels.count % max(shape.count, 1) == 0)
        self.shape = shape; self.labels = labels; storage = .memory(pixels)
    }

    /// Every image of `images`, decoded on demand.
    public init(streaming images: StreamedImages, labels: [Int]? = nil) {
        shape = images.shape; self.labels = labels
        storage = .streamed(images, Array(0..<images.count))
    }

    public var count: Int {
        switch storage {
        case .memory(let pixels): shape.count == 0 ? 0 : pixels.count / shape.count
        case .streamed(_, let indices): indices.count
        }
    }

    /// The stream behind a streamed set (nil when the pixels are in memory).
    public var streamed: StreamedImages? {
        if case .streamed(let images, _) = storage { return images }
        return nil
    }

    /// Decode threads worth giving a batcher: one when the pixels are in memory (a copy is
    /// cheaper than a hand-off), the stream's own count otherwise.
    public var preferredWorkers: Int { streamed?.workers ?? 1 }

    /// The first `n` examples (all of them when n is nil or larger).
    public func prefix(_ n: Int?) -> ImageSet {
        guard let n, n < count else { return self }
        return picking(Array(0..<n))
    }

    /// `n` examples spread evenly over the set: a fair cross-section of a folder sorted by class.
    public func evenlySpaced(_ n: Int) -> ImageSet {
        guard n < count else { return self }
        return picking((0..<n).map { $0 * count / n })
    }

    /// The examples at `picks`, in that order.
    public func picking(_ picks: [Int]) -> ImageSet {
        var out = self
        out.labels = labels.map { l in picks.map { l[$0] } }
        switch storage {
        case .memory(let pixels):
            let d = shape.count
            var kept: [UInt8] = []
            kept.reserveCapacity(picks.count * d)
            for i in picks { kept += pixels[(i * d)..<((i + 1) * d)] }
            out.storage = .memory(kept)
        case .streamed(let images, let indices):
            out.storage = .streamed(images, picks.map { indices[$0] })
        }
        return out
    }

    /// Writes example `index` as `shape.count` 8-bit values. Only a streamed set can throw: a
    /// file that fails to decode under `--on-bad-file fail`, or a set with no decodable file left.
    public func copyPixels(_ index: Int, into out: UnsafeMutablePointer<UInt8>) throws {
        switch storage {
        case .memory(let pixels):
            pixels.withUnsafeBufferPointer { out.update(from: $0.baseAddress! + index * shape.count, count: shape.count) }
        case .streamed(let images, let indices):
            try images.pixels(indices[index], into: out)
        }
    }

    /// Example `index` as 8-bit values.
    public func pixels(_ index: Int) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: shape.count) { buffer, initialized in
            try copyPixels(index, into: buffer.baseAddress!)
            initialized = shape.count
        }
    }

    /// Every example's 8-bit values, one after another (decoding a streamed set whole).
    public func allPixels() throws -> [UInt8] {
        if case .memory(let pixels) = storage { return pixels }
        let d = shape.count
        return try [UInt8](unsafeUninitializedCapacity: count * d) { buffer, initialized in
            for i in 0..<count { try copyPixels(i, into: buffer.baseAddress! + i * d) }
            initialized = count * d
        }
    }

    /// Writes example `index` as Float32 in [0, 1] to `out[shape.count]`.
    public func copyNormalized(_ index: Int, into out: UnsafeMutablePointer<Float>) throws {
        let d = shape.count
        switch storage {
        case .memory(let pixels):
            pixels.withUnsafeBufferPointer { normalize($0.baseAddress! + index * d, into: out, count: d) }
        case .streamed:
            try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: d) { bytes in
                try copyPixels(index, into: bytes.baseAddress!)
                normalize(bytes.baseAddress!, into: out, count: d)
            }
        }
    }

    @inline(__always)
    private func normalize(_ src: UnsafePointer<UInt8>, into out: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { out[i] = Float(src[i]) * (1 / 255) }
    }
}

/// The processes of a data-parallel job (MPI ranks), as training needs them: each holds a share
/// of every batch, and they add up their gradients and losses before every identical Adam step.
/// A process that trains alone has none.
public protocol Collective: AnyObject {
    var rank: Int { get }
    var size: Int { get }
    /// Sums `count` floats over all processes, in place: every process gets the same sum.
    func sum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws
    /// Sums `count` floats over all processes (a power of two of them), in place, as BatchParts'
    /// tree adds: each process with its neighbour (rank r with r ^ 1), then those pairs with
    /// theirs (r ^ 2), and so on, the bits one process gets summing the same parts alone. Only this
    /// process's `segment(of: count)` of the sum is complete afterwards: the first half of an
    /// allreduce, for an optimizer step that each process takes on its own segment.
    func reduceScatterPairwise(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws
    /// Every process's segment of `buffer` to every process.
    func allgatherSegments(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws
    /// The same for doubles (losses, flags).
    func sum(_ buffer: UnsafeMutablePointer<Double>, count: Int) throws
}

extension Collective {
    /// This process's segment of a buffer of `count` values: segments in rank order of the same
    /// whole number of 16-float vectors, clamped to the buffer (so the last ones may be shorter,
    /// or empty for a tiny buffer), so an elementwise kernel over a segment computes each value
    /// as it does over the whole buffer.
    public func segment(of count: Int) -> Range<Int> {
        let length = Self.segmentLength(count: count, processes: size), lo = min(rank * length, count)
        return lo..<min(lo + length, count)
    }

    public static func segmentLength(count: Int, processes: Int) -> Int { ((count + processes - 1) / processes + 15) / 16 * 16 }

    /// This process's share of every batch.
    public var shard: Shard { Shard(index: rank, count: size) }
}

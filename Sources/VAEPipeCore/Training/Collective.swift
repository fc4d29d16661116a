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
    /// theirs (r ^ 2), and so on. Every process gets the same bits, and they are the bits one
    /// process gets summing the same parts alone.
    func sumPairwise(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws
    /// The same for doubles (losses, flags).
    func sum(_ buffer: UnsafeMutablePointer<Double>, count: Int) throws
}

extension Collective {
    /// This process's share of every batch.
    public var shard: Shard { Shard(index: rank, count: size) }
}

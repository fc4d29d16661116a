import CKernels

/// The order in which a batch's gradients are summed over its rows. The whole batch is cut into
/// `count` parts of consecutive rows (part j: rows total*j/count ..< total*(j+1)/count); each
/// part's sum runs from zero in row order, and the parts are added in a fixed binary tree (part
/// 2i with part 2i+1, then those pairs pairwise, ...). Processes that each hold count/N whole
/// parts (N a power of two dividing `count`) and add their sums in the same tree (neighbours
/// first) then get the gradient one process gets alone, bit for bit: the weights of a data-parallel
/// run do not depend on how many processes ran it.
///
/// One part (`count` 1) is the plain row-order sum, the fastest: summing in parts costs the weight
/// gradients' products an extra store or load of the register tile per part.
public struct BatchParts: Sendable, Equatable {
    /// Parts of a data-parallel run's batches on `ranks` processes, unless asked for more: as many
    /// as there are processes (each then sums its share plainly, at full speed) when they are a
    /// power of two, else one (their shares are not whole parts).
    public static func dataParallel(ranks: Int) -> Int {
        ranks <= maximum && ranks & (ranks - 1) == 0 ? ranks : 1
    }
    /// The most parts a batch can be summed in, and the levels of a binary counter over them.
    public static let maximum = Int(VP_MAX_PARTS)
    static let levels = Int.bitWidth - 1 - maximum.leadingZeroBitCount

    /// Parts of the whole batch.
    public let count: Int
    /// This process's first row in the whole batch, and its rows.
    public let first: Int, rows: Int
    /// Rows of the whole batch.
    public let total: Int
    /// The whole batch's parts this process holds: firstPart ..< firstPart + parts.
    public let firstPart: Int, parts: Int
    /// True when they are whole parts of the batch in the tree's order (the processes are a power
    /// of two dividing `count`), so that their sums add up pairwise to the whole batch's.
    public let aligned: Bool
    /// Rows per example in the products that use these parts (the decoder's, with several
    /// samples per example).
    public private(set) var rowsPerExample = 1

    /// `count` parts of a batch of `total` rows, of which `shard` holds its rows. When the
    /// shard's rows are not whole parts (its count does not divide `count`), its rows are one part.
    public init(count: Int, shard: Shard = .whole, total: Int) {
        precondition(count >= 1 && count <= Self.maximum && count & (count - 1) == 0, "parts: \(count) is not a power of two up to \(Self.maximum)")
        let rows = shard.rows(of: total)
        self.count = count; self.total = total; first = rows.lowerBound; self.rows = rows.count
        aligned = Self.aligns(count, processes: shard.count)
        if aligned {
            parts = count / shard.count
            firstPart = shard.index * parts
        } else {
            parts = 1
            firstPart = 0
        }
    }

    /// True when `processes` processes each hold whole parts of `count` in the tree's order: they
    /// are a power of two dividing it.
    public static func aligns(_ count: Int, processes: Int) -> Bool {
        count % processes == 0 && processes & (processes - 1) == 0
    }

    /// A batch that is all one process's, summed in one part.
    public static func whole(_ rows: Int) -> BatchParts { BatchParts(count: 1, total: rows) }

    /// The same parts of a batch whose every example is `k` consecutive rows.
    public func perExample(_ k: Int) -> BatchParts {
        var p = self
        p.rowsPerExample = k
        return p
    }

    /// Calls `body` with this process's cuts of its own rows, each times `scale` (a layer's rows
    /// per row it is given, such as a convolution's grid) and `rowsPerExample`: parts+1 offsets. On the stack: a training step allocates nothing.
    @inline(__always)
    public func withCuts<R>(scale: Int = 1, _ body: (UnsafePointer<Int>, Int) throws -> R) rethrows -> R {
        try withUnsafeTemporaryAllocation(of: Int.self, capacity: parts + 1) { cuts in
            for i in 0...parts {
                let row = parts == 1 ? (i == 0 ? first : first + rows) : total * (firstPart + i) / count
                cuts[i] = (row - first) * scale * rowsPerExample
            }
            return try body(cuts.baseAddress!, parts)
        }
    }
}


/// Sums that run part by part and add the parts in `BatchParts`' tree, for gradients whose
/// parts are computed one after another (a convolution's, over memory-bounded groups of
/// examples): `part` gives a buffer to write the next part's sum into, `close` adds it in, and
/// `finish` adds the tree's root to the gradient. Buffers for `count` floats at each level, made
/// once.
final class PartTree {
    let count: Int
    // Made at the first part: a process that trains alone never needs them.
    private lazy var levels = FloatBuffer(count: BatchParts.levels * count)
    private lazy var current = FloatBuffer(count: count)
    private var occupied = 0

    init(count: Int) { self.count = count }

    /// Where the next part's sum goes (overwritten, or accumulated after a first overwrite).
    var part: UnsafeMutablePointer<Float> { current.pointer }

    /// Adds the part just written into the tree.
    func close(last: Bool) {
        let p = current.pointer
        var level = 0
        while occupied & (1 << level) != 0 {
            occupied &= ~(1 << level)
            VectorMath.add(levels.pointer + level * count, into: p, count: count)
            level += 1
        }
        if last {
            for l in 0..<BatchParts.levels where occupied & (1 << l) != 0 { VectorMath.add(levels.pointer + l * count, into: p, count: count) }
            occupied = 0
        } else {
            occupied |= 1 << level
            (levels.pointer + level * count).update(from: p, count: count)
        }
    }

    /// gradient += the root, after the last part's `close(last: true)`.
    func finish(into gradient: UnsafeMutablePointer<Float>) {
        VectorMath.add(current.pointer, into: gradient, count: count)
    }
}

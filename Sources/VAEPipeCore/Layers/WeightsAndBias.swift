/// The parameters every layer with weights has here: W (count `weights`) followed by one bias
/// per output channel in the layer's slice, and the things done to it the same way in Linear,
/// Conv2D and ConvTranspose2D.
struct WeightsAndBias {
    let weights: Int, outputs: Int
    private(set) var w: UnsafeMutablePointer<Float>!
    private(set) var b: UnsafeMutablePointer<Float>!
    private(set) var dw: UnsafeMutablePointer<Float>!
    private(set) var db: UnsafeMutablePointer<Float>!

    init(weights: Int, outputs: Int) {
        self.weights = weights; self.outputs = outputs
        tree = PartTree(count: weights)
    }

    mutating func bind(values: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {
        w = values; b = values + weights
        dw = gradients; db = gradients + weights
    }

    /// PyTorch's default for its layers (Kaiming-uniform with a = sqrt 5): W and b ~
    /// U(-1/sqrt(fan_in), 1/sqrt(fan_in)). Matching it keeps our runs comparable with the reference.
    func initialize(fanIn: Int, rng: inout SplitMix64) {
        let bound = 1 / Float(fanIn).squareRoot()
        for i in 0..<weights { w[i] = (2 * rng.nextUniform() - 1) * bound }
        for i in 0..<outputs { b[i] = (2 * rng.nextUniform() - 1) * bound }
    }

    /// dW += a weight gradient computed a group of examples at a time: `product(examples, dW', beta)`
    /// adds one group's product into dW' (beta 0 overwrites), and groups never straddle the
    /// batch's parts. With several parts, each part's product goes to a buffer of its own and the
    /// parts are added in BatchParts' tree; with one, straight into dW.
    func accumulateWeightGradient(parts: BatchParts, groupSize: Int,
                                  _ product: (_ examples: Range<Int>, _ into: UnsafeMutablePointer<Float>, _ beta: Float) -> Void) {
        parts.withCuts { cuts, count in
            for s in 0..<count {
                let part = cuts[s]..<cuts[s + 1]
                let into = count == 1 ? dw! : tree.part
                var beta: Float = count == 1 ? 1 : 0
                for (first, n) in BatchSlices(range: part, slice: groupSize) {
                    product(first..<first + n, into, beta)
                    beta = 1
                }
                guard count > 1 else { return }
                if part.isEmpty { tree.part.update(repeating: 0, count: weights) }
                tree.close(last: s + 1 == count)
            }
            if count > 1 { tree.finish(into: dw) }
        }
    }
    private let tree: PartTree

    /// db += column sums of dy [rows x outputs], rows summed in `parts`' order (`scale` rows per example).
    func accumulateBiasGradient(_ dy: UnsafePointer<Float>, rows: Int, parts: BatchParts, scale: Int = 1) {
        parts.withCuts(scale: scale) { cuts, count in
            precondition(cuts[count] == rows, "bias gradient: \(rows) rows are not the parts' \(cuts[count])")
            columnSums.run(dy, columns: outputs, cuts: cuts, parts: count, into: db)
        }
    }
    private let columnSums = ColumnSums()
}

/// sums[j] += column j of a [rows x columns] matrix, split over the pool by groups of eight
/// columns (a conv layer's dy has a row per output pixel: 131,072 rows in a 64x64 batch). Each
/// column is summed by one task, top to bottom within each of the batch's parts and the parts
/// added in BatchParts' tree, so the sums do not depend on the thread count.
final class ColumnSums: RangeKernel {
    private var m: UnsafePointer<Float>?, sums: UnsafeMutablePointer<Float>?, cuts: UnsafePointer<Int>?
    private var parts = 0, columns = 0

    func run(_ m: UnsafePointer<Float>, columns: Int, cuts: UnsafePointer<Int>, parts: Int,
             into sums: UnsafeMutablePointer<Float>) {
        self.m = m; self.sums = sums; self.columns = columns; self.cuts = cuts; self.parts = parts
        let groups = (columns + 7) / 8, rows = cuts[parts]
        Parallel.forRanges(groups, minimumChunk: max(1, 32_768 / max(1, rows * 8)), self)
        self.cuts = nil
    }

    func run(_ r: Range<Int>) {
        let m = m!, sums = sums!, cuts = cuts!, parts = parts, columns = columns
        let end = min(columns, r.upperBound * 8)
        var j = r.lowerBound * 8
        typealias V = VectorMath.V
        // Eight columns at a time, the last group padded with zeros read from nowhere.
        while j < end {
            let width = min(8, end - j)
            func row(_ i: Int) -> V {
                if width == 8 { return VectorMath.load(m + i * columns + j) }
                var v = V(repeating: 0)
                for q in 0..<width { v[q] = m[i * columns + j + q] }
                return v
            }
            var occupied = 0, sum = V(repeating: 0)
            // One vector per level of the binary counter, on the stack.
            withUnsafeTemporaryAllocation(of: V.self, capacity: BatchParts.levels) { held in
                for s in 0..<parts {
                    sum = V(repeating: 0)
                    for i in cuts[s]..<cuts[s + 1] { sum += row(i) }
                    var level = 0
                    while occupied & (1 << level) != 0 {
                        occupied &= ~(1 << level)
                        sum += held[level]
                        level += 1
                    }
                    if s + 1 < parts {
                        occupied |= 1 << level
                        held[level] = sum
                    } else {
                        for l in 0..<BatchParts.levels where occupied & (1 << l) != 0 { sum += held[l] }
                    }
                }
            }
            if width == 8 {
                VectorMath.store(VectorMath.load(sums + j) + sum, sums + j)
            } else {
                for q in 0..<width { sums[j + q] += sum[q] }
            }
            j += 8
        }
    }
}

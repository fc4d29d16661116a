/// The parameters every layer with weights has here: W (count `weights`) followed by one bias
/// per output channel in the layer's slice, and the things done to it the same way in Linear,
/// Conv2D and ConvTranspose2D.
struct WeightsAndBias {
    let weights: Int, outputs: Int
    private(set) var w: UnsafeMutablePointer<Float>!
    private(set) var b: UnsafeMutablePointer<Float>!
    private(set) var dw: UnsafeMutablePointer<Float>!
    private(set) var db: UnsafeMutablePointer<Float>!

    init(weights: Int, outputs: Int) { self.weights = weights; self.outputs = outputs }

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

    /// db += column sums of dy [rows x outputs].
    func accumulateBiasGradient(_ dy: UnsafePointer<Float>, rows: Int) {
        columnSums.run(dy, rows: rows, columns: outputs, into: db)
    }
    private let columnSums = ColumnSums()
}

/// sums[j] += column j of a [rows x columns] matrix, split over the pool by groups of eight
/// columns (a conv layer's dy has a row per output pixel: 131,072 rows in a 64x64 batch). Each
/// column is summed by one task, top to bottom, so the sums do not depend on the thread count.
final class ColumnSums: RangeKernel {
    private var m: UnsafePointer<Float>?, sums: UnsafeMutablePointer<Float>?
    private var rows = 0, columns = 0

    func run(_ m: UnsafePointer<Float>, rows: Int, columns: Int, into sums: UnsafeMutablePointer<Float>) {
        self.m = m; self.sums = sums; self.rows = rows; self.columns = columns
        let groups = (columns + 7) / 8
        Parallel.forRanges(groups, minimumChunk: max(1, 32_768 / max(1, rows * 8)), self)
    }

    func run(_ r: Range<Int>) {
        let m = m!, sums = sums!
        var j = r.lowerBound * 8
        let end = min(columns, r.upperBound * 8)
        while j + 8 <= end {
            var sum = VectorMath.load(sums + j)
            for i in 0..<rows { sum += VectorMath.load(m + i * columns + j) }
            VectorMath.store(sum, sums + j)
            j += 8
        }
        for j in j..<end {
            var sum = sums[j]
            for i in 0..<rows { sum += m[i * columns + j] }
            sums[j] = sum
        }
    }
}

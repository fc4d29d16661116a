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
        var j = 0
        while j + 8 <= outputs {
            var sum = VectorMath.load(db + j)
            for r in 0..<rows { sum += VectorMath.load(dy + r * outputs + j) }
            VectorMath.store(sum, db + j)
            j += 8
        }
        for j in j..<outputs {
            var sum = db[j]
            for r in 0..<rows { sum += dy[r * outputs + j] }
            db[j] = sum
        }
    }
}

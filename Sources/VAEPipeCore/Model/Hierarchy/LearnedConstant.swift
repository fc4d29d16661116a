/// The top-down decoder's starting state: one learned tensor, the same for every row (VDVAE's
/// trainable bias at the lowest resolution). Forward copies it to each row; backward adds the
/// rows' gradients up in BatchParts' order, so shares of a batch sum to the whole bit for bit.
final class LearnedConstant {
    let size: Int
    private var values: UnsafeMutablePointer<Float>?
    private var gradients: UnsafeMutablePointer<Float>?
    private let columnSums = ColumnSums()

    init(size: Int) { self.size = size }

    var parameterSpecs: [ParameterSpec] { [ParameterSpec(name: "value", shape: [size])] }

    func bind(values: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {
        self.values = values; self.gradients = gradients
    }

    /// Zero, as VDVAE starts it: the first prior is then the same for every image.
    func initialize() { values?.update(repeating: 0, count: size) }

    func forward(_ y: UnsafeMutablePointer<Float>, batch: Int) {
        guard let values else { preconditionFailure("LearnedConstant: forward before bind") }
        for r in 0..<batch { (y + r * size).update(from: values, count: size) }
    }

    func backward(_ dy: UnsafePointer<Float>, batch: Int, parts: BatchParts) {
        guard let gradients else { preconditionFailure("LearnedConstant: backward before bind") }
        parts.withCuts { cuts, count in
            precondition(cuts[count] == batch, "LearnedConstant: \(batch) rows are not the parts' \(cuts[count])")
            columnSums.run(dy, columns: size, cuts: cuts, parts: count, into: gradients)
        }
    }
}

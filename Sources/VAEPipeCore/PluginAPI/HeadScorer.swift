/// Drives a head over one batch: its rows split over the cores, then the per-row gradients of
/// its own parameters added up in row order (the same sum on any number of threads) into the
/// model's gradient buffer. Scratch for `capacity` rows is allocated once.
public final class HeadScorer: RangeKernel {
    public let head: any Likelihood
    public let parameterCount: Int
    public let capacity: Int
    private let perRow: FloatBuffer
    private var gradients: UnsafeMutablePointer<Float>?
    private var current: HeadBatch?
    private var parts = BatchParts.whole(0)
    private let tree: PartTree
    /// The processes of a data-parallel job, for sums over a whole batch (HeadBatch.sumOverBatch).
    public var collective: Collective?
    /// One sum per part of a batch, and the first error of a collective sum (thrown by
    /// `throwPendingError`: a head's beginBatch cannot throw).
    private let partSums = UnsafeMutablePointer<Double>.allocate(capacity: BatchParts.maximum)
    private var pendingError: Error?

    public init(head: any Likelihood, capacity: Int) {
        self.head = head
        self.capacity = capacity
        parameterCount = head.parameterSpecs.reduce(0) { $0 + $1.count }
        perRow = FloatBuffer(count: capacity * parameterCount)
        tree = PartTree(count: parameterCount)
    }

    deinit { partSums.deallocate() }

    /// HeadBatch.sumOverBatch: each part's rows summed in order into its slot of the whole
    /// batch's parts (this process's slots; the others zero), the slots summed over the
    /// processes (each slot then one process's sum plus zeros: exact), then in order.
    func sumOverBatch(rows: Int, _ value: (Int) -> Double) -> Double {
        let n = parts.count
        partSums.update(repeating: 0, count: n)
        parts.withCuts { cuts, count in
            for s in 0..<count {
                var t = 0.0
                for r in cuts[s]..<cuts[s + 1] { t += value(r) }
                partSums[parts.firstPart + s] += t
            }
        }
        return finishSumOverBatch()
    }

    /// A process with no rows of this batch joins the sum the head's beginBatch would ask for.
    public func joinSumOverBatch(parts: BatchParts) throws {
        guard head.sumsOverBatch else { return }
        self.parts = parts
        partSums.update(repeating: 0, count: parts.count)
        _ = finishSumOverBatch()
        try throwPendingError()
    }

    var wholeBatchRows: Int { parts.total * parts.rowsPerExample }

    private func finishSumOverBatch() -> Double {
        if let collective, collective.size > 1 {
            do { try collective.sum(partSums, count: parts.count) } catch { pendingError = pendingError ?? error }
        }
        var total = 0.0
        for j in 0..<parts.count { total += partSums[j] }
        return total
    }

    /// Throws the error of a collective sum inside the last batch, once.
    public func throwPendingError() throws {
        if let e = pendingError { pendingError = nil; throw e }
    }

    /// Where the head's parameters and their gradients live in the model's flat buffers.
    public func bind(values: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {
        head.bind(values: values)
        self.gradients = gradients
    }

    /// nll[r] for each of `batch` rows; with dLogits, also scale * dnll/dlogits there and
    /// scale * sum_r dnll[r]/dθ added to the head's gradients. `weighted`: each row's gradients
    /// get a weight too, known only once the rows are scored (the IWAE bound's normalised
    /// importance weights): the batch is finished by `weighRows`. `parts`: the order in which
    /// the rows' parameter gradients are summed (default: one part).
    public func negativeLogLikelihood(
        logits: UnsafePointer<Float>, targets: UnsafePointer<Float>, batch: Int, dimension: Int,
        nll: UnsafeMutablePointer<Float>, dLogits: UnsafeMutablePointer<Float>?, scale: Float, weighted: Bool = false,
        parts: BatchParts? = nil
    ) {
        self.parts = parts ?? .whole(batch)
        precondition(batch <= capacity, "HeadScorer: batch \(batch) over capacity \(capacity)")
        let wantsParameters = dLogits != nil && parameterCount > 0
        var b = HeadBatch(logits: logits, targets: targets, rows: batch, dimension: dimension, nll: nll,
                          dLogits: dLogits, dParameters: wantsParameters ? perRow.pointer : nil, scale: scale)
        b.summer = self
        head.beginBatch(b)
        current = b
        Parallel.forRanges(batch, minimumChunk: max(1, 32_768 / max(dimension, 1)), self)
        if weighted && dLogits != nil { return }
        addParameterGradients(weights: nil)
        current = nil
    }

    /// Weighs the rows of the batch just scored with `weighted: true` by `weights[r]`. The head's
    /// gradients are linear in its scale, so weighting a row afterwards is exact.
    public func weighRows(_ weights: UnsafePointer<Float>) {
        guard let b = current, let dLogits = b.dLogits else { preconditionFailure("weighRows without a weighted batch") }
        for r in 0..<b.rows { VectorMath.scale(dLogits + r * b.dimension, count: b.dimension, by: weights[r]) }
        addParameterGradients(weights: weights)
        current = nil
    }

    private func addParameterGradients(weights: UnsafePointer<Float>?) {
        guard let b = current, b.dParameters != nil, b.rows > 0, let gradients else { return }
        // Each part's rows added into its first row one after another: each parameter's sum in
        // row order, reading the rows contiguously (a head with a parameter per pixel has
        // thousands), times the batch's scale; then the parts in BatchParts' tree. An unweighted
        // row's weight is 1, whose products are exact: the same sums as plain adds.
        let p = parameterCount, rows = perRow.pointer, scale = b.scale
        func sumPart(_ part: Range<Int>, into sums: UnsafeMutablePointer<Float>) {
            guard let r0 = part.first else { sums.update(repeating: 0, count: p); return }
            let w0 = weights?[r0] ?? 1
            for j in 0..<p { sums[j] = w0 * rows[r0 * p + j] }
            for r in part.dropFirst() {
                let row = rows + r * p, w = weights?[r] ?? 1
                for j in 0..<p { sums[j] += w * row[j] }
            }
            for j in 0..<p { sums[j] *= scale }
        }
        parts.withCuts { cuts, count in
            precondition(cuts[count] == b.rows, "HeadScorer: \(b.rows) rows are not the parts' \(cuts[count])")
            if count == 1 {
                sumPart(0..<b.rows, into: rows)
                VectorMath.add(rows, into: gradients, count: p)
                return
            }
            for s in 0..<count {
                sumPart(cuts[s]..<cuts[s + 1], into: tree.part)
                tree.close(last: s + 1 == count)
            }
            tree.finish(into: gradients)
        }
    }

    public func run(_ range: Range<Int>) { head.score(rows: range, current!) }
}

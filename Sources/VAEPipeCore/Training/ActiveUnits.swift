/// Latent dimensions in use: those whose posterior mean varies over the data,
/// Cov_x(E_q[z_j | x]) > 0.01 (Burda et al. 2015, section 5.2). A collapsed dimension's posterior
/// is the prior for every x, so its mean does not move.
public struct ActiveUnits: Sendable {
    public static let threshold = 0.01
    private var sums: [Double]
    private var squares: [Double]
    public private(set) var examples = 0

    public init(latent: Int) {
        sums = [Double](repeating: 0, count: latent)
        squares = sums
    }

    /// One example's posterior means (Z values).
    public mutating func add(_ means: UnsafePointer<Float>) {
        for j in 0..<sums.count {
            let m = Double(means[j])
            sums[j] += m; squares[j] += m * m
        }
        examples += 1
    }

    /// Each dimension's variance of the posterior mean over the examples added.
    public var variances: [Double] {
        let n = Double(max(examples, 1))
        return (0..<sums.count).map { squares[$0] / n - (sums[$0] / n) * (sums[$0] / n) }
    }

    public var count: Int { variances.filter { $0 > Self.threshold }.count }
}

extension Evaluator {
    /// The active units of `model` over (up to `limit` evenly spaced examples of) `set`.
    public static func activeUnits(_ model: VAE, on set: ImageSet, limit: Int = 10_000) throws -> ActiveUnits {
        let k = model.latent
        var units = ActiveUnits(latent: k)
        let batcher = Batcher(set: set.evenlySpaced(limit), batchSize: model.capacity, seed: 0, shuffle: false)
        let batches = batcher.start(epoch: 0)
        defer { batches.finish() }
        while let (x, n) = try batches.next() {
            let m = model.encode(x, batch: n)
            for r in 0..<n { units.add(m + r * 2 * k) }
        }
        return units
    }
}

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

    /// The sums of every process of a data-parallel job, each having added its share of the examples.
    public mutating func sum(over collective: Collective) throws {
        var all = sums + squares + [Double(examples)]
        try all.withUnsafeMutableBufferPointer { try collective.sum($0.baseAddress!, count: $0.count) }
        let k = sums.count
        sums = Array(all[0..<k]); squares = Array(all[k..<2 * k]); examples = Int(all[2 * k])
    }
}

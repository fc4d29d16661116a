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

    /// One example's posterior means laid out per pixel as [c means, c log-variances] (a
    /// hierarchy's group), the dimensions numbered pixel-major.
    public mutating func add(interleaved moments: UnsafePointer<Float>, pixels: Int, channels c: Int) {
        precondition(pixels * c == sums.count)
        for i in 0..<pixels {
            for j in 0..<c {
                let m = Double(moments[i * 2 * c + j])
                sums[i * c + j] += m; squares[i * c + j] += m * m
            }
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

/// The hierarchy's figures per latent group over a set: each group's KL summed over the examples
/// and its active units (a lower group's posterior mean depends on the draws above it as well as
/// on x; its units count as active when that mean varies over the data all the same).
public struct GroupFigures: Sendable {
    public private(set) var kl: [Double]
    public private(set) var units: [ActiveUnits]

    public init(_ model: VAE) {
        kl = [Double](repeating: 0, count: model.groupCount)
        units = (0..<model.groupCount).map { g in
            let m = model.groupMoments(g)
            return ActiveUnits(latent: m.pixels * m.channels)
        }
    }

    /// The last forward pass's `rows` examples.
    public mutating func add(_ model: VAE, rows: Int) {
        for g in 0..<kl.count {
            kl[g] += model.klPerGroup[g]
            let m = model.groupMoments(g), stride = m.pixels * 2 * m.channels
            for r in 0..<rows { units[g].add(interleaved: m.moments + r * stride, pixels: m.pixels, channels: m.channels) }
        }
    }

    public mutating func sum(over collective: Collective) throws {
        guard !kl.isEmpty else { return }
        try kl.withUnsafeMutableBufferPointer { try collective.sum($0.baseAddress!, count: $0.count) }
        for g in units.indices { try units[g].sum(over: collective) }
    }
}

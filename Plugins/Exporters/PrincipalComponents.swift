/// The principal components of a set of points: the eigenvectors of their covariance, largest
/// variance first, found by cyclic Jacobi rotations (exact to rounding for the symmetric
/// matrix, and quick at latent sizes: a few sweeps of k^3 for k in the hundreds).
public struct PrincipalComponents {
    public let mean: [Double]
    /// Unit vectors, one per dimension, ordered by the variance along them. A component's
    /// sign is chosen so that its largest coordinate is positive, so the same points always
    /// give the same picture.
    public let components: [[Double]]
    /// The variance along each component (the covariance's eigenvalues, descending).
    public let variances: [Double]

    /// `points` holds n rows of `dimension` values.
    public init(points: [Float], dimension k: Int) {
        let n = points.count / k
        var mean = [Double](repeating: 0, count: k)
        for i in 0..<n { for j in 0..<k { mean[j] += Double(points[i * k + j]) } }
        for j in 0..<k { mean[j] /= Double(max(n, 1)) }
        var cov = [Double](repeating: 0, count: k * k)
        for i in 0..<n {
            for a in 0..<k {
                let da = Double(points[i * k + a]) - mean[a]
                for b in a..<k { cov[a * k + b] += da * (Double(points[i * k + b]) - mean[b]) }
            }
        }
        for a in 0..<k { for b in a..<k { cov[a * k + b] /= Double(max(n - 1, 1)); cov[b * k + a] = cov[a * k + b] } }
        let (values, vectors) = Self.eigen(symmetric: cov, k)
        let order = (0..<k).sorted { values[$0] > values[$1] }
        self.mean = mean
        variances = order.map { max(0, values[$0]) }
        components = order.map { c in
            var v = (0..<k).map { vectors[$0 * k + c] }
            if let big = v.indices.max(by: { abs(v[$0]) < abs(v[$1]) }), v[big] < 0 { v = v.map { -$0 } }
            return v
        }
    }

    /// The share of the total variance the first `m` components hold.
    public func explained(_ m: Int) -> Double {
        let total = variances.reduce(0, +)
        return total > 0 ? variances.prefix(m).reduce(0, +) / total : 0
    }

    /// Rows of `points` as coordinates on the first `m` components [n x m].
    public func project(_ points: [Float], onto m: Int) -> [Double] {
        let k = mean.count, n = points.count / k
        var out = [Double](repeating: 0, count: n * m)
        for i in 0..<n {
            for c in 0..<m {
                var s = 0.0
                for j in 0..<k { s += (Double(points[i * k + j]) - mean[j]) * components[c][j] }
                out[i * m + c] = s
            }
        }
        return out
    }

    /// Eigenvalues and eigenvectors (columns of the k x k result) of a symmetric matrix: each
    /// rotation zeroes one off-diagonal entry (the tangent from the stable root of
    /// t^2 + 2 theta t - 1 = 0, as in Numerical Recipes), until what is off the diagonal is
    /// rounding next to what is on it.
    static func eigen(symmetric m: [Double], _ k: Int) -> (values: [Double], vectors: [Double]) {
        var a = m
        var v = [Double](repeating: 0, count: k * k)
        for i in 0..<k { v[i * k + i] = 1 }
        let scale = max(a.reduce(0) { $0 + $1 * $1 }, .leastNormalMagnitude)
        for _ in 0..<100 {
            var off = 0.0
            for p in 0..<k { for q in (p + 1)..<max(k, p + 1) { off += a[p * k + q] * a[p * k + q] } }
            if off <= 1e-30 * scale { break }
            for p in 0..<k {
                for q in (p + 1)..<max(k, p + 1) where a[p * k + q] != 0 {
                    let theta = (a[q * k + q] - a[p * k + p]) / (2 * a[p * k + q])
                    let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for r in 0..<k {  // columns p and q
                        let arp = a[r * k + p], arq = a[r * k + q]
                        a[r * k + p] = c * arp - s * arq; a[r * k + q] = s * arp + c * arq
                    }
                    for r in 0..<k {  // rows p and q
                        let apr = a[p * k + r], aqr = a[q * k + r]
                        a[p * k + r] = c * apr - s * aqr; a[q * k + r] = s * apr + c * aqr
                    }
                    for r in 0..<k {
                        let vrp = v[r * k + p], vrq = v[r * k + q]
                        v[r * k + p] = c * vrp - s * vrq; v[r * k + q] = s * vrp + c * vrq
                    }
                }
            }
        }
        return ((0..<k).map { a[$0 * k + $0] }, v)
    }
}

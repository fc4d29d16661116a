import CKernels

/// Row-major matrix products on vaepipe's own kernels (Sources/CKernels). This is the only
/// file that calls the GEMM.
public enum GEMM {
    /// What happens to each element of the product before it is stored.
    public enum Activation: Sendable { case none, relu }

    /// C[m x n] = op(A) op(B) [+ beta C] [+ bias per column] [relu], all row-major and densely
    /// packed. op(A) is m x k (A stored [k x m] when transA); op(B) is k x n (B stored [n x k]
    /// when transB). beta is 0 (overwrite) or 1 (accumulate), or any scale.
    @inline(__always)
    public static func multiply(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, b: UnsafePointer<Float>, beta: Float = 0,
        bias: UnsafePointer<Float>? = nil, activation: Activation = .none,
        c: UnsafeMutablePointer<Float>
    ) {
        vp_gemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, a, b, c,
                vp_epilogue(beta: beta, bias: bias, relu: activation == .relu ? 1 : 0))
    }
}

/// The naive triple loop in Double: the tests' oracle for `GEMM.multiply`, and nothing else.
public enum ReferenceKernels {
    public static func gemm(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, b: UnsafePointer<Float>, beta: Float = 0,
        bias: UnsafePointer<Float>? = nil, activation: GEMM.Activation = .none,
        c: UnsafeMutablePointer<Float>
    ) {
        for i in 0..<m {
            for j in 0..<n {
                var s: Double = 0
                for p in 0..<k {
                    let av = transA ? a[p * m + i] : a[i * k + p]
                    let bv = transB ? b[j * k + p] : b[p * n + j]
                    s += Double(av) * Double(bv)
                }
                if beta != 0 { s += Double(beta) * Double(c[i * n + j]) }
                if let bias { s += Double(bias[j]) }
                if activation == .relu { s = max(s, 0) }
                c[i * n + j] = Float(s)
            }
        }
    }
}

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

extension GEMM {
    /// C[m x n] = A^T B [+ beta C] with A stored [k x m] and B [k x n], whose depth k is a
    /// batch's rows (times `scale` per example) summed in `parts`' order (see BatchParts): a
    /// weight gradient.
    @inline(__always)
    public static func multiplyTransposed(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, beta: Float = 0,
        c: UnsafeMutablePointer<Float>, parts: BatchParts, scale: Int = 1
    ) {
        let ep = vp_epilogue(beta: beta, bias: nil, relu: 0)
        if parts.parts == 1 { vp_gemm(1, 0, m, n, k, a, b, c, ep); return }
        parts.withCuts(scale: scale) { cuts, count in
            precondition(cuts[count] == k, "GEMM: depth \(k) is not the parts' \(cuts[count]) rows")
            vp_gemm_parts(m, n, k, a, b, c, ep, cuts, Int32(count))
        }
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

import CKernels
import Foundation

/// What vaepipe computes on: its own kernels (Sources/CKernels), the instruction set they were
/// chosen for from this CPU's feature flags, and the threads of the one pool they all share.
public enum Backend {
    public enum ISA: Int, CaseIterable, Sendable, Comparable {
        case generic, avx2, avx512

        /// As the flags read: what the kernels use.
        public var name: String {
            switch self {
            case .generic: return "sse2"
            case .avx2: return "avx2+fma"
            case .avx512: return "avx512f"
            }
        }
        /// The GEMM micro-kernel's register tile, rows x columns of C.
        public var tile: (rows: Int, columns: Int) {
            var mr: Int32 = 0, nr: Int32 = 0
            vp_gemm_tile(vp_isa(UInt32(rawValue)), &mr, &nr)
            return (Int(mr), Int(nr))
        }
        public static func < (a: ISA, b: ISA) -> Bool { a.rawValue < b.rawValue }
    }

    /// The best ISA this CPU and OS support (CPUID and XGETBV; no table of CPU names).
    public static var cpuISA: ISA { ISA(rawValue: Int(vp_cpu_detect_isa().rawValue)) ?? .generic }
    /// The ISA the GEMM runs now (`VAEPIPE_ISA=sse2|avx2` caps it, for comparisons).
    public static var isa: ISA { ISA(rawValue: Int(vp_gemm_isa().rawValue)) ?? .generic }
    /// Caps the GEMM at `isa` (at most what the CPU has) and returns what it runs now.
    @discardableResult
    public static func setISA(_ isa: ISA) -> ISA {
        ISA(rawValue: Int(vp_gemm_set_isa(vp_isa(UInt32(isa.rawValue))).rawValue)) ?? .generic
    }

    /// Whether the GEMM skips the depth steps where a panel of A is all zeros: an image's
    /// background, a ReLU's silent channels, a padded border. The same bits either way
    /// (`VAEPIPE_ZERO_SKIP=0` turns it off, to measure the gain).
    public static var skipsZeros: Bool {
        get { vp_gemm_zero_skipping() != 0 }
        set { vp_gemm_set_zero_skipping(newValue ? 1 : 0) }
    }

    public static var threads: Int { Parallel.threads }

    /// The FMA units' peak GFLOP/s at the GEMM's ISA on every thread, measured for about
    /// `seconds`: the ceiling the GEMM's own GFLOP/s are a share of.
    public static func fmaPeak(seconds: Double) -> Double {
        vp_fma_peak_gflops(vp_isa(UInt32(isa.rawValue)), seconds)
    }

    /// Parallel calls so far, and how many ran on one thread because another process held the
    /// cores up (the pool then works alone for a while, see Sources/CKernels/pool.c).
    public static var contention: (calls: Int, alone: Int) {
        var calls = 0, alone = 0
        vp_pool_counts(&calls, &alone)
        return (calls, alone)
    }

    /// The CPU's brand string, as CPUID reports it.
    public static var cpuName: String {
        var buffer = [CChar](repeating: 0, count: 64)
        vp_cpu_brand(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// One line: the kernels, the ISA they dispatched to, their tile and the threads.
    public static var summary: String {
        let t = isa.tile
        return "vaepipe kernels, \(isa.name) (GEMM tile \(t.rows)x\(t.columns)), \(threads) thread\(threads == 1 ? "" : "s")"
            + (skipsZeros ? "" : ", zero steps not skipped (VAEPIPE_ZERO_SKIP=0)")
    }

    /// Said once at start-up when the kernels run below what the hardware could do.
    public static var warning: String? {
        if isa < cpuISA {
            return "the GEMM is capped at \(isa.name) (VAEPIPE_ISA) although this CPU has \(cpuISA.name)"
        }
        if isa == .generic {
            return "this CPU reports neither AVX2+FMA nor AVX-512: the GEMM runs its generic SSE2 kernel, several times slower"
        }
        return nil
    }
}

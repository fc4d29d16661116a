import Foundation
import VAEPipeCore
import VAEPipeTestSupport
import XCTest

/// The GEMM against the naive oracle, for every instruction set this CPU has (each has its own
/// micro-kernel and tile), on shapes that exercise full tiles, ragged edges, several depth
/// blocks and the chunking over threads.
final class GEMMTests: XCTestCase {
    private static let shapes: [(m: Int, n: Int, k: Int)] = [
        (5, 7, 3), (1, 1, 1), (13, 33, 9), (12, 32, 257), (128, 40, 20), (37, 70, 600), (250, 17, 64), (6, 16, 8),
        (20, 30, 1100), (700, 40, 30), (9, 7, 0),
    ]

    override func tearDown() { Backend.setISA(Backend.cpuISA); Parallel.setThreads(Parallel.cores) }

    private func check(isa: Backend.ISA, threads: Int, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(Backend.setISA(isa), isa, file: file, line: line)
        Parallel.setThreads(threads)
        var seed: UInt64 = 1
        for (m, n, k) in Self.shapes {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                for (beta, bias, relu) in [(Float(0), false, false), (1, true, false), (2, true, true), (0, false, true)] {
                    seed += 3
                    let a = FloatBuffer(GradientCheck.random(m * k, seed: seed)), b = FloatBuffer(GradientCheck.random(k * n, seed: seed + 1))
                    let c1 = FloatBuffer(GradientCheck.random(m * n, seed: seed + 2)), c2 = FloatBuffer(c1.array)
                    let biasValues = FloatBuffer(GradientCheck.random(n, seed: seed + 3))
                    let activation: GEMM.Activation = relu ? .relu : .none
                    GEMM.multiply(transA: ta, transB: tb, m: m, n: n, k: k, a: a.pointer, b: b.pointer, beta: beta,
                                  bias: bias ? biasValues.pointer : nil, activation: activation, c: c1.pointer)
                    ReferenceKernels.gemm(transA: ta, transB: tb, m: m, n: n, k: k, a: a.pointer, b: b.pointer, beta: beta,
                                          bias: bias ? biasValues.pointer : nil, activation: activation, c: c2.pointer)
                    let tolerance = 1e-5 * Float(k + 4)
                    for i in 0..<(m * n) where abs(c1[i] - c2[i]) > tolerance {
                        XCTFail("\(isa.name), \(threads) threads, \(m)x\(n)x\(k) transA \(ta) transB \(tb) beta \(beta) bias \(bias) relu \(relu): [\(i)] \(c1[i]) vs \(c2[i])",
                                file: file, line: line)
                        return
                    }
                }
            }
        }
    }

    func testEveryKernelThisCPUHasMatchesTheNaiveProduct() {
        for isa in Backend.ISA.allCases where isa <= Backend.cpuISA {
            check(isa: isa, threads: 1)
            check(isa: isa, threads: 3)
        }
    }

    /// Chunks and depth splits depend on the shape, never on the thread count, so a run (and a
    /// resumed run) gives the same numbers on any number of threads.
    func testProductsAreBitIdenticalOnAnyThreadCount() {
        for (m, n, k, ta) in [(20, 30, 3000, true), (130, 70, 300, false), (600, 45, 50, false)] {
            let a = FloatBuffer(GradientCheck.random(m * k, seed: 7)), b = FloatBuffer(GradientCheck.random(k * n, seed: 8))
            var results: [[Float]] = []
            for threads in [1, 2, 3] {
                Parallel.setThreads(threads)
                let c = FloatBuffer(count: m * n)
                GEMM.multiply(transA: ta, m: m, n: n, k: k, a: a.pointer, b: b.pointer, c: c.pointer)
                results.append(c.array)
            }
            XCTAssertEqual(results[0], results[1], "\(m)x\(n)x\(k)")
            XCTAssertEqual(results[0], results[2], "\(m)x\(n)x\(k)")
        }
    }

    /// Skipping A's all-zero depth steps changes no bit of C: an image-like A (zero rows,
    /// zero runs along the depth, a zero border) against the same product with every step
    /// packed, on every ISA, both layouts of A, one and several depth blocks.
    func testSkippingZeroStepsKeepsEveryBit() {
        defer { Backend.skipsZeros = true }
        for isa in Backend.ISA.allCases where isa <= Backend.cpuISA {
            Backend.setISA(isa)
            for (m, n, k) in [(30, 40, 50), (128, 70, 600), (250, 33, 300), (7, 5, 9)] {
                for ta in [false, true] {
                    // The stored matrix, rows x columns: zero outside a window, zero runs inside it.
                    let (rows, columns) = ta ? (k, m) : (m, k)
                    var values = GradientCheck.random(m * k, seed: UInt64(m + k))
                    for r in 0..<rows {
                        for c in 0..<columns {
                            let inside = (rows / 5..<rows - rows / 7).contains(r) && (columns / 6..<columns).contains(c)
                            if !inside || (c / 3 + r) % 4 == 0 { values[r * columns + c] = 0 }
                        }
                    }
                    let a = FloatBuffer(values), b = FloatBuffer(GradientCheck.random(k * n, seed: 9))
                    var results: [[UInt32]] = []
                    for skip in [true, false] {
                        Backend.skipsZeros = skip
                        let c = FloatBuffer(GradientCheck.random(m * n, seed: 10))
                        GEMM.multiply(transA: ta, m: m, n: n, k: k, a: a.pointer, b: b.pointer, beta: 1, c: c.pointer)
                        results.append(c.array.map(\.bitPattern))
                    }
                    if let i = results[0].indices.first(where: { results[0][$0] != results[1][$0] }) {
                        XCTFail("\(isa.name) \(m)x\(n)x\(k) transA \(ta): C[\(i)] is \(Float(bitPattern: results[0][i])) skipping zeros, \(Float(bitPattern: results[1][i])) without")
                    }
                }
            }
        }
    }

    func testTheKernelsRunTheBestInstructionSetTheCPUHas() throws {
        try XCTSkipIf(ProcessInfo.processInfo.environment["VAEPIPE_ISA"] != nil, "VAEPIPE_ISA caps the kernels in this run")
        Backend.setISA(.avx512)  // asks for the most; gets what the CPU has
        XCTAssertEqual(Backend.isa, Backend.cpuISA)
        XCTAssertTrue(Backend.summary.contains(Backend.cpuISA.name), Backend.summary)
        XCTAssertFalse(Backend.cpuName.isEmpty)
    }

    /// The pool's tasks cover every index once, from any number of threads, and a call from
    /// inside a task runs inline instead of deadlocking.
    func testParallelRangesCoverEveryIndexOnceAndNestSafely() {
        final class Marks: RangeKernel {
            let hits = FloatBuffer(count: 100_000)
            var nested = false
            func run(_ range: Range<Int>) {
                for i in range { hits[i] += 1 }
                if nested, range.lowerBound == 0 {
                    let inner = Marks()
                    Parallel.forRanges(inner.hits.count, minimumChunk: 1000, inner)
                    if inner.hits.array.contains(where: { $0 != 1 }) { hits[0] = -100 }
                }
            }
        }
        for threads in [1, 2, 5] {
            Parallel.setThreads(threads)
            let marks = Marks()
            marks.nested = true
            Parallel.forRanges(marks.hits.count, minimumChunk: 1000, marks)
            XCTAssertEqual(marks.hits.array.filter { $0 != 1 }.count, 0, "\(threads) threads")
        }
    }
}

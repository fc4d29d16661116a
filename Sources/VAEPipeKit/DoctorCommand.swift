import ArgumentParser
import Foundation
import VAEPipeCore

struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Say what vaepipe computes on here: the CPU, the instruction set its kernels chose from the CPU's feature flags, the threads, the FMA units' measured peak, and the GEMM's measured GFLOP/s at the shapes training uses as a share of it.")

    @Option(help: "Seconds to measure each shape (0 skips the measurement).")
    var seconds: Double = 0.3

    @Flag(help: "One JSON object instead of text.")
    var json = false

    /// The products of one MLP step (784-400-20, batch 128) and of the conv model's largest layer.
    static let shapes: [(name: String, transA: Bool, transB: Bool, m: Int, n: Int, k: Int)] = [
        ("mlp forward 128x400x784", false, false, 128, 400, 784),
        ("mlp weight gradient 784x400x128 (A^T)", true, false, 784, 400, 128),
        ("mlp input gradient 128x784x400 (B^T)", false, true, 128, 784, 400),
        ("conv forward 8192x64x512", false, false, 8192, 64, 512),
        ("square 1024x1024x1024", false, false, 1024, 1024, 1024),
    ]

    func run() throws {
        var measured: [(String, Double)] = []
        var peak: Double?
        if seconds > 0 {
            peak = Backend.fmaPeak(seconds: seconds)
            for s in Self.shapes { measured.append((s.name, Self.gflops(s, seconds: seconds))) }
        }
        func tenth(_ x: Double) -> Double { (x * 10).rounded() / 10 }
        if json {
            var object: [String: Any] = ["cpu": Backend.cpuName, "cpu_isa": Backend.cpuISA.name, "isa": Backend.isa.name,
                                         "threads": Backend.threads, "backend": Backend.summary]
            object["gflops"] = Dictionary(uniqueKeysWithValues: measured.map { ($0.0, tenth($0.1)) })
            if let peak { object["fma_peak_gflops"] = tenth(peak) }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("cpu: \(Backend.cpuName), best instruction set \(Backend.cpuISA.name) (from CPUID)")
        print("compute: \(Backend.summary)")
        if let warning = Backend.warning { print("warning: \(warning)") }
        if let peak { print("  fma peak (\(Backend.isa.name), every thread at once): \(String(format: "%.1f", peak)) GFLOP/s") }
        for (name, g) in measured {
            let share = peak.map { String(format: " (%.0f%% of peak)", 100 * g / $0) } ?? ""
            print("  \(name): \(String(format: "%.1f", g)) GFLOP/s\(share)")
        }
    }

    static func gflops(_ s: (name: String, transA: Bool, transB: Bool, m: Int, n: Int, k: Int), seconds: Double) -> Double {
        let a = FloatBuffer(count: s.m * s.k), b = FloatBuffer(count: s.k * s.n), c = FloatBuffer(count: s.m * s.n)
        // No zeros: the GEMM skips A's all-zero steps, and this measures the dense product.
        for i in 0..<a.count { a[i] = Float(i % 7 + 1) * 0.1 }
        for i in 0..<b.count { b[i] = Float(i % 5 + 1) * 0.1 }
        func once() { GEMM.multiply(transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k, a: a.pointer, b: b.pointer, c: c.pointer) }
        for _ in 0..<3 { once() }
        let start = DispatchTime.now().uptimeNanoseconds
        var calls = 0
        var elapsed = 0.0
        repeat { once(); calls += 1; elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 } while elapsed < seconds
        return 2 * Double(s.m * s.n * s.k) * Double(calls) / elapsed / 1e9
    }
}

import Foundation

/// Splits elementwise work over the cores. BLAS already uses every core for the products; the
/// loops between them (Adam, the heads) are memory-bound and would otherwise run on one.
public enum Parallel {
    public static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Calls `body(range)` on disjoint ranges covering 0..<count, concurrently when the work
    /// is big enough to pay for the hand-off (about 10 µs).
    public static func forRanges(_ count: Int, minimumChunk: Int = 32_768, _ body: (Range<Int>) -> Void) {
        let chunks = min(cores, max(1, count / minimumChunk))
        guard chunks > 1 else { body(0..<count); return }
        let size = (count + chunks - 1) / chunks
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                box.value(min(count, c * size)..<min(count, (c + 1) * size))
            }
        }
    }
}

/// For handing a non-Sendable closure or pointer to workers that touch disjoint memory.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// The four pointers a likelihood head's rows read and write, handed to row-parallel workers.
public struct UncheckedPointers: @unchecked Sendable {
    public let values: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>?)
    public init(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ d: UnsafeMutablePointer<Float>?) {
        values = (a, b, c, d)
    }
}

import Foundation

/// Work that `Parallel.forRanges` splits over the cores: disjoint ranges of 0..<count, each
/// handed to `run`. A class, so giving it to the worker threads copies a reference; a closure
/// would be re-boxed on the heap at every call, and a training step allocates nothing.
public protocol RangeKernel: AnyObject {
    func run(_ range: Range<Int>)
}

/// Splits elementwise work over the cores. BLAS already uses every core for the products; the
/// loops between them (Adam, the heads) are memory-bound and would otherwise run on one.
public enum Parallel {
    public static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Runs `kernel` on disjoint ranges covering 0..<count, concurrently when the work is big
    /// enough to pay for the hand-off (about 10 µs).
    public static func forRanges(_ count: Int, minimumChunk: Int = 32_768, _ kernel: some RangeKernel) {
        let chunks = min(cores, max(1, count / minimumChunk))
        guard chunks > 1 else { kernel.run(0..<count); return }
        WorkerPool.shared.run(kernel, count: count, chunks: chunks)
    }
}

/// One parked thread per extra core, woken by semaphores (DispatchQueue.concurrentPerform
/// allocates at every call).
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(workers: Parallel.cores - 1)

    private let wake: [DispatchSemaphore]
    private let finished = DispatchSemaphore(value: 0)
    private let busy = NSLock()
    private unowned(unsafe) var kernel: (any RangeKernel)?
    private var count = 0, size = 0

    private init(workers: Int) {
        wake = (0..<workers).map { _ in DispatchSemaphore(value: 0) }
        for w in 0..<workers {
            let thread = Thread { [self] in
                while true {
                    wake[w].wait()
                    kernel!.run(chunk(w + 1))
                    finished.signal()
                }
            }
            thread.name = "vaepipe.worker.\(w + 1)"
            thread.start()
        }
    }

    private func chunk(_ c: Int) -> Range<Int> { min(count, c * size)..<min(count, (c + 1) * size) }

    /// Chunk 0 runs on the calling thread. A caller that finds the pool taken (another
    /// thread's loop, or a nested call) runs all its chunks itself.
    func run(_ kernel: any RangeKernel, count: Int, chunks: Int) {
        let helpers = min(chunks - 1, wake.count)
        let size = (count + chunks - 1) / chunks
        guard helpers > 0, busy.try() else {
            for c in 0..<chunks { kernel.run(min(count, c * size)..<min(count, (c + 1) * size)) }
            return
        }
        defer { busy.unlock() }
        self.kernel = kernel; self.count = count; self.size = size
        for w in 0..<helpers { wake[w].signal() }
        kernel.run(chunk(0))
        for c in (helpers + 1)..<max(chunks, helpers + 1) { kernel.run(chunk(c)) }
        for _ in 0..<helpers { finished.wait() }
        self.kernel = nil
    }
}

import CKernels
import Foundation

/// Work that `Parallel.forRanges` splits over the cores: disjoint ranges of 0..<count, each
/// handed to `run`. A class, so giving it to the worker threads copies a reference; a closure
/// would be re-boxed on the heap at every call, and a training step allocates nothing.
public protocol RangeKernel: AnyObject {
    func run(_ range: Range<Int>)
}

/// Splits elementwise work over the same pool of threads the GEMM runs on (CKernels' pool), so
/// the two never compete for the cores. The loops between the products (Adam, the heads) are
/// memory-bound and would otherwise run on one core.
public enum Parallel {
    /// Cores this process may use: the default for data workers.
    public static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Threads of the compute pool (VAEPIPE_THREADS or OMP_NUM_THREADS, else the cores).
    public static var threads: Int { Int(vp_threads()) }
    public static func setThreads(_ n: Int) { vp_set_threads(Int32(n)) }

    /// Runs `kernel` on disjoint ranges covering 0..<count, concurrently when the work is big
    /// enough to pay for the hand-off: pieces of at least `minimumChunk`, up to four per thread
    /// so that a thread the OS pauses holds up little.
    public static func forRanges(_ count: Int, minimumChunk: Int = 32_768, _ kernel: some RangeKernel) {
        let chunks = min(4 * threads, max(1, count / max(1, minimumChunk)))
        guard chunks > 1 else { kernel.run(0..<count); return }
        var job = RangeJob(kernel: kernel, count: count, size: (count + chunks - 1) / chunks)
        withUnsafeMutablePointer(to: &job) { vp_parallel(chunks, runRangeTask, $0) }
    }
}

private struct RangeJob {
    unowned(unsafe) let kernel: any RangeKernel
    let count: Int, size: Int
}

private func runRangeTask(_ context: UnsafeMutableRawPointer?, _ task: Int) {
    let job = context!.assumingMemoryBound(to: RangeJob.self)
    let lower = min(job.pointee.count, task * job.pointee.size)
    job.pointee.kernel.run(lower..<min(job.pointee.count, lower + job.pointee.size))
}

import Foundation

/// `body(i)` for every i in 0..<count on `workers` threads, results in index order. For the
/// passes over a folder before training (headers, the in-memory cache); batches have their own
/// workers in `Batcher`.
enum ParallelMap {
    static func map<T: Sendable>(_ count: Int, workers: Int, _ body: @Sendable (Int) -> T) -> [T] {
        let results = Results<T>(count: count)
        let next = Counter()
        // Indices are handed out 16 at a time: one lock per file made the workers queue on it.
        DispatchQueue.concurrentPerform(iterations: max(1, min(workers, count))) { _ in
            while case let start = next.take(16), start < count {
                for i in start..<min(start + 16, count) { results.set(i, body(i)) }
            }
        }
        return results.values
    }

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func take(_ n: Int) -> Int { lock.withLock { defer { value += n }; return value } }
    }

    /// Each index is written by exactly one worker.
    private final class Results<T>: @unchecked Sendable {
        private let storage: UnsafeMutablePointer<T?>
        private let count: Int
        init(count: Int) {
            self.count = count
            storage = .allocate(capacity: max(count, 1))
            storage.initialize(repeating: nil, count: count)
        }
        deinit { storage.deinitialize(count: count); storage.deallocate() }
        func set(_ i: Int, _ value: T) { storage[i] = value }
        var values: [T] { (0..<count).map { storage[$0]! } }
    }
}

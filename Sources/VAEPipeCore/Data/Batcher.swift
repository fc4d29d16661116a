import Foundation

/// Serves an `ImageSet` as shuffled Float32 batches in [0, 1]. A background thread gathers the
/// next batches while the current one trains; memory is `prefetch` batch buffers, whatever the
/// data size. The order depends only on (seed, epoch), never on timing.
public final class Batcher: @unchecked Sendable {
    public let set: ImageSet
    public let batchSize: Int
    public let seed: UInt64
    public let shuffle: Bool
    private let slots: [FloatBuffer]

    public init(set: ImageSet, batchSize: Int, seed: UInt64, shuffle: Bool = true, prefetch: Int = 3) {
        precondition(batchSize > 0 && prefetch > 0)
        self.set = set
        self.batchSize = batchSize
        self.seed = seed
        self.shuffle = shuffle
        slots = (0..<prefetch).map { _ in FloatBuffer(count: batchSize * set.shape.count) }
    }

    public var batchesPerEpoch: Int { (set.count + batchSize - 1) / batchSize }

    /// The example order of one epoch: a seeded Fisher-Yates permutation.
    public func order(epoch: Int) -> [Int] {
        var idx = Array(0..<set.count)
        guard shuffle else { return idx }
        var rng = SplitMix64(seed: seed).derived(UInt64(epoch) &+ 0x5EED)
        for i in stride(from: idx.count - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            idx.swapAt(i, j)
        }
        return idx
    }

    /// Starts producing epoch `epoch`'s batches, after the first `skippingBatches` (a resumed
    /// run); iterate the result with `next()`.
    public func start(epoch: Int, skippingBatches skip: Int = 0) -> Epoch {
        Epoch(batcher: self, order: Array(order(epoch: epoch).dropFirst(skip * batchSize)))
    }

    public final class Epoch: @unchecked Sendable {
        private let batcher: Batcher
        private let order: [Int]
        private let free: DispatchSemaphore
        private let filled = DispatchSemaphore(value: 0)
        private let done = DispatchSemaphore(value: 0)
        private var counts: [Int]
        private var served = 0
        private var holding = false
        private var cancelled = false
        private var joined = false
        private let lock = NSLock()
        /// Seconds the consumer spent blocked waiting for a batch.
        public private(set) var waitSeconds: Double = 0

        init(batcher: Batcher, order: [Int]) {
            self.batcher = batcher
            self.order = order
            // Start at 0 and signal up: libdispatch traps when a semaphore is freed holding less
            // than its initial value, which an epoch stopped early would do.
            free = DispatchSemaphore(value: 0)
            for _ in batcher.slots { free.signal() }
            counts = Array(repeating: 0, count: batcher.slots.count)
            let thread = Thread { [self] in produce() }
            thread.name = "vaepipe.batcher"
            thread.start()
        }

        private var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return cancelled }

        private func produce() {
            let b = batcher, d = b.set.shape.count
            var start = 0, slot = 0
            while start < order.count {
                free.wait()
                if isCancelled { break }
                let n = min(b.batchSize, order.count - start)
                let out = b.slots[slot].pointer
                for r in 0..<n { b.set.copyNormalized(order[start + r], into: out + r * d) }
                counts[slot] = n
                filled.signal()
                start += n
                slot = (slot + 1) % b.slots.count
            }
            done.signal()
        }

        /// The next batch (pointer to [count x D] floats), valid until the next call; nil at the end.
        /// The caller may modify the batch in place.
        public func next() -> (pointer: UnsafeMutablePointer<Float>, count: Int)? {
            let b = batcher
            if holding { free.signal(); holding = false }
            let batches = (order.count + b.batchSize - 1) / b.batchSize
            guard served < batches else { return nil }
            let t0 = DispatchTime.now().uptimeNanoseconds
            filled.wait()
            waitSeconds += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            let slot = served % b.slots.count
            served += 1
            holding = true
            return (b.slots[slot].pointer, counts[slot])
        }

        /// Waits for the producer to exit, stopping it early if batches are left (an error or an
        /// interruption). Call once per epoch, e.g. in a `defer`: the producer thread holds the
        /// epoch alive until then.
        public func finish() {
            guard !joined else { return }
            joined = true
            lock.lock(); cancelled = true; lock.unlock()
            for _ in 0..<batcher.slots.count { free.signal() }
            done.wait()
        }
    }
}

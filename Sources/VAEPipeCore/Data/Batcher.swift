import Foundation

/// Serves an `ImageSet` as shuffled Float32 batches in [0, 1]. Worker threads gather (and, for
/// a streamed set, decode) the next batches while the current one trains; memory is `prefetch`
/// batch buffers, whatever the data size. The order depends only on (seed, epoch), never on
/// timing or on the number of workers: each worker writes whole rows at the positions the
/// order gives them.
public final class Batcher: @unchecked Sendable {
    public let set: ImageSet
    public let batchSize: Int
    public let seed: UInt64
    public let shuffle: Bool
    public let workers: Int
    public let shard: Shard
    private let slots: [FloatBuffer]

    /// `workers`: threads filling batches (default: what the set prefers, see `ImageSet.preferredWorkers`).
    /// `shard`: this process's share of every batch, when a batch is split between processes;
    /// it reads (and decodes) only those rows.
    public init(set: ImageSet, batchSize: Int, seed: UInt64, shuffle: Bool = true, prefetch: Int = 3, workers: Int? = nil,
                shard: Shard = .whole) {
        precondition(batchSize > 0 && prefetch > 0)
        self.set = set
        self.batchSize = batchSize
        self.seed = seed
        self.shuffle = shuffle
        self.shard = shard
        self.workers = max(1, workers ?? set.preferredWorkers)
        slots = (0..<prefetch).map { _ in FloatBuffer(count: shard.largestShare(of: batchSize) * set.shape.count) }
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
        let all = order(epoch: epoch)
        var mine: [Int] = [], counts: [Int] = [], offsets: [Int] = []
        var first = skip * batchSize
        while first < all.count {
            let rows = shard.rows(of: min(batchSize, all.count - first))
            mine += all[(first + rows.lowerBound)..<(first + rows.upperBound)]
            counts.append(rows.count)
            offsets.append(rows.lowerBound)
            first += batchSize
        }
        return Epoch(batcher: self, order: mine, counts: counts, offsets: offsets)
    }

    /// One pass over the order. Workers claim runs of positions (never crossing a batch), wait
    /// until the consumer has handed back the buffer their batch goes into, fill their rows and
    /// count them in; the consumer takes batch k once all its rows are counted.
    public final class Epoch: @unchecked Sendable {
        private let batcher: Batcher
        private let order: [Int]
        private let batches: Int
        /// Batch k is order[starts[k] ..< starts[k + 1]], rows offsets[k]... of the whole batch.
        private let starts: [Int]
        private let offsets: [Int]
        /// Positions a worker claims at once: a whole batch for one worker, smaller runs for
        /// several, so they share a batch instead of each waiting on its own.
        private let run: Int
        private let state = NSCondition()
        // Guarded by `state`:
        private var claimed = 0            // positions handed to workers so far
        private var claiming = 0           // the batch `claimed` is in
        private var released = 0           // batches the consumer has handed back
        private var filled: [Int]          // per buffer: rows counted in for the batch it holds
        private var failure: Error?
        private var busy = 0               // workers holding claimed rows not yet counted in
        private var cancelled = false
        private var running: Int
        // The consumer's own:
        private var served = 0
        private var holding = false
        private var joined = false
        /// Seconds the consumer spent blocked waiting for a batch.
        public private(set) var waitSeconds: Double = 0
        /// The index, in the whole batch, of the first row `next()` returned last (0 unsharded).
        public private(set) var offset = 0

        init(batcher: Batcher, order: [Int], counts: [Int], offsets: [Int]) {
            self.batcher = batcher
            self.order = order
            self.offsets = offsets
            batches = counts.count
            starts = counts.reduce(into: [0]) { $0.append($0.last! + $1) }
            let most = counts.max() ?? 1
            run = batcher.workers == 1 ? most : max(1, most / (4 * batcher.workers))
            filled = Array(repeating: 0, count: batcher.slots.count)
            running = batcher.workers
            for w in 0..<batcher.workers {
                let thread = Thread { [self] in work() }
                thread.name = "vaepipe.batcher.\(w)"
                thread.start()
            }
        }

        private func rows(inBatch k: Int) -> Int { starts[k + 1] - starts[k] }

        private func work() {
            let b = batcher, d = b.set.shape.count, buffers = b.slots.count
            state.lock()
            while !cancelled && failure == nil && claimed < order.count {
                while starts[claiming + 1] <= claimed { claiming += 1 }  // past batches with no rows here
                let start = claimed, k = claiming
                let end = min(start + run, starts[k + 1])
                claimed = end
                busy += 1
                while k >= released + buffers && !cancelled && failure == nil { state.wait() }
                if cancelled || failure != nil { busy -= 1; break }
                state.unlock()
                let out = b.slots[k % buffers].pointer + (start - starts[k]) * d
                var error: Error?
                do {
                    for p in start..<end { try b.set.copyNormalized(order[p], into: out + (p - start) * d) }
                } catch let e { error = e }
                state.lock()
                busy -= 1
                if let error { failure = failure ?? error; break }
                filled[k % buffers] += end - start
                // Only a finished batch (or, after a failure, the last busy worker) is news to
                // the consumer; waking it for every run of rows costs context switches.
                if filled[k % buffers] == rows(inBatch: k) || (failure != nil && busy == 0) { state.broadcast() }
            }
            running -= 1
            state.broadcast()
            state.unlock()
        }

        /// The next batch (pointer to [count x D] floats), valid until the next call; nil at the
        /// end. The caller may modify the batch in place. Throws what a worker hit: a file that
        /// failed under `--on-bad-file fail`.
        public func next() throws -> (pointer: UnsafeMutablePointer<Float>, count: Int)? {
            let b = batcher, buffers = b.slots.count
            if holding {
                state.lock()
                filled[released % buffers] = 0
                released += 1
                state.broadcast()
                state.unlock()
                holding = false
            }
            guard served < batches else { return nil }
            let rows = rows(inBatch: served), slot = served % buffers
            let t0 = DispatchTime.now().uptimeNanoseconds
            state.lock()
            // After a failure, rows claimed before it still arrive: every batch ahead of the
            // broken file is served whole, whatever the number of workers.
            while filled[slot] < rows && (failure == nil || busy > 0) { state.wait() }
            let failed = filled[slot] < rows ? failure : nil
            state.unlock()
            waitSeconds += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            if let failed { throw failed }
            offset = offsets[served]
            served += 1
            holding = true
            return (b.slots[slot].pointer, rows)
        }

        /// Waits for the workers to exit, stopping them early if batches are left (an error or
        /// an interruption). Call once per epoch, e.g. in a `defer`: the worker threads hold the
        /// epoch alive until then.
        public func finish() {
            guard !joined else { return }
            joined = true
            state.lock()
            cancelled = true
            state.broadcast()
            while running > 0 { state.wait() }
            state.unlock()
        }
    }
}

/// One process's share of every batch when a batch is split between `count` processes: rows
/// count-th parts apart, the first processes taking the smaller parts of an uneven batch.
public struct Shard: Sendable, Equatable {
    public var index: Int
    public var count: Int
    public init(index: Int, count: Int) {
        precondition(count >= 1 && (0..<count).contains(index), "shard \(index) of \(count)")
        self.index = index; self.count = count
    }
    public static let whole = Shard(index: 0, count: 1)

    /// This share's rows of a batch of `n`.
    public func rows(of n: Int) -> Range<Int> { (n * index / count)..<(n * (index + 1) / count) }

    /// The most rows this share can get of a batch of up to `n`.
    public func largestShare(of n: Int) -> Int { max(1, (n + count - 1) / count) }
}

import Foundation

/// Scores and encodings of a trained model over a whole set, outside the training loop.
public enum Evaluator {
    /// Sums of the loss terms over the whole set, one posterior sample per example, with a fixed
    /// noise seed so the same model always gets the same score.
    /// With `shard`, only this process's share of the set (the processes' sums add up to the
    /// whole set's, example for example).
    public static func evaluate(_ model: VAE, on set: ImageSet, seed: UInt64, shard: Shard = .whole) throws -> BatchLoss {
        var units = ActiveUnits(latent: model.latent), groups = GroupFigures(model)
        return try evaluate(model, on: set, seed: seed, shard: shard, activeUnits: &units, groups: &groups)
    }

    /// The same, adding each example's posterior mean to `units` on the way, and for the
    /// hierarchy each group's KL and posterior means into `groups`.
    public static func evaluate(_ model: VAE, on set: ImageSet, seed: UInt64, shard: Shard = .whole,
                                activeUnits units: inout ActiveUnits, groups: inout GroupFigures) throws -> BatchLoss {
        let k = model.latent
        let size = model.capacity * shard.count  // so that a share fits the model
        let batcher = Batcher(set: set, batchSize: size, seed: seed, shuffle: false, shard: shard)
        // Every example's noise is picked by its index in the set (see VAE.forward), so the
        // score does not depend on how the set is cut into batches.
        let noise = SplitMix64(seed: seed).derived(0xE7A1)
        let batches = batcher.start(epoch: 0)
        defer { batches.finish() }
        var total = BatchLoss(), first = 0
        while let (x, n) = try batches.next() {
            var rng = noise
            if n > 0 {
                total += model.evaluate(x, batch: n, rng: &rng, offset: first + batches.offset)
                let moments = model.posteriorMoments
                for r in 0..<n { units.add(moments + r * 2 * k) }
                groups.add(model, rows: n)
            }
            first += size
        }
        return total
    }

    /// Average KL per latent dimension over (up to `limit` examples of) `set`: how much each
    /// dimension is used. Traversal galleries list dimensions in this order, largest first.
    public static func klPerDimension(_ model: VAE, on set: ImageSet, limit: Int = 2000) throws -> [Float] {
        let k = model.latent
        var sums = [Double](repeating: 0, count: k)
        let sub = set.evenlySpaced(limit)
        let batcher = Batcher(set: sub, batchSize: model.capacity, seed: 0, shuffle: false)
        let batches = batcher.start(epoch: 0)
        defer { batches.finish() }
        while let (x, n) = try batches.next() {
            let m = model.encode(x, batch: n)
            for r in 0..<n {
                let mu = m + r * 2 * k, lv = mu + k
                for j in 0..<k { sums[j] += 0.5 * Double(mu[j] * mu[j] + exp(lv[j]) - 1 - lv[j]) }
            }
        }
        return sums.map { Float($0 / Double(max(sub.count, 1))) }
    }

    /// Posterior means [count x Z] of the first `count` examples of `set`.
    public static func posteriorMeans(_ model: VAE, on set: ImageSet, count: Int) throws -> [Float] {
        let k = model.latent, d = set.shape.count
        let n = min(count, set.count)
        var out = [Float](repeating: 0, count: n * k)
        let x = FloatBuffer(count: model.capacity * d)
        var done = 0
        while done < n {
            let b = min(model.capacity, n - done)
            for r in 0..<b { try set.copyNormalized(done + r, into: x.pointer + r * d) }
            let m = model.encode(x.pointer, batch: b)
            for r in 0..<b { for j in 0..<k { out[(done + r) * k + j] = m[r * 2 * k + j] } }
            done += b
        }
        return out
    }

    /// Reconstructions [count x D] of the first `count` examples of `set` (VAE.reconstructMean).
    public static func reconstructions(_ model: VAE, on set: ImageSet, count: Int) throws -> [Float] {
        let d = set.shape.count, n = min(count, set.count)
        var out = [Float](repeating: 0, count: n * d)
        let x = FloatBuffer(count: model.capacity * d)
        var done = 0
        try out.withUnsafeMutableBufferPointer { o in
            while done < n {
                let b = min(model.capacity, n - done)
                for r in 0..<b { try set.copyNormalized(done + r, into: x.pointer + r * d) }
                model.reconstructMean(x.pointer, batch: b, into: o.baseAddress! + done * d)
                done += b
            }
        }
        return out
    }

    /// Decoder means [n x D] for latent rows `z` [n x Z], decoded a model-capacity batch at a time.
    public static func decodeMeans(_ model: VAE, latents z: [Float]) -> [Float] {
        let k = model.latent, d = model.inputSize, n = z.count / k
        var out = [Float](repeating: 0, count: n * d)
        z.withUnsafeBufferPointer { zp in
            out.withUnsafeMutableBufferPointer { op in
                var done = 0
                while done < n {
                    let b = min(model.capacity, n - done)
                    model.decodeMean(zp.baseAddress! + done * k, batch: b, into: op.baseAddress! + done * d)
                    done += b
                }
            }
        }
        return out
    }
}

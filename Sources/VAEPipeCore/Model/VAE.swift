/// Which rows of a batch split between processes one process holds: `offset` is its first
/// row's index in the batch of `total` rows.
public struct BatchShare: Sendable, Equatable {
    public var offset: Int
    public var total: Int
    public init(offset: Int, total: Int) { self.offset = offset; self.total = total }
}

/// Sums over one batch, in nats; divide by the batch size for per-example figures.
public struct BatchLoss: Codable, Sendable, Equatable {
    public var reconstruction: Double = 0
    public var kl: Double = 0
    public var count: Int = 0
    public init() {}
    public var negELBO: Double { reconstruction + kl }
    public static func += (a: inout BatchLoss, b: BatchLoss) {
        a.reconstruction += b.reconstruction; a.kl += b.kl; a.count += b.count
    }
}

/// A VAE: an encoder to (mu, log-variance) of size Z each, a decoder from z to D logits (see
/// `Architecture` for the mlp and conv stacks), scored by a likelihood head. Loss = -E_q[log p(x|z)] + KL(q(z|x) || N(0, I)),
/// averaged over the batch, with `samples` reparameterised samples per example in training (one
/// by default), or, `importanceWeighted`, the IWAE bound over those samples (see `ImportanceWeights`).
public final class VAE {
    public let config: ModelConfig
    public let head: any Likelihood
    private let scorer: HeadScorer
    /// The single-latent models' networks (mlp, conv, resnet): x -> (mu, log-variance), z -> logits.
    private let single: (encoder: Sequential, decoder: Sequential)?
    /// The hierarchical model (hvae), in their place.
    let hierarchy: Hierarchy?
    private var encoder: Sequential { single!.encoder }
    private var decoder: Sequential { single!.decoder }
    public let parameters: ParameterStore
    public let capacity: Int
    /// Posterior samples per example in a training step.
    public let samples: Int
    /// Training minimises the importance-weighted bound instead of the ELBO.
    public let importanceWeighted: Bool
    /// Training steps flip each example left-right with probability 1/2 (`--flip`), drawn from
    /// the example's own noise stream, so the same rows flip however the batch is split.
    public var flipsHorizontally = false
    /// The last training forward pass's sum over its examples of the negative IWAE bound.
    public private(set) var lastBound: Double = 0

    // Scratch for one batch, allocated once (sample rows: capacity x samples).
    private let eps: FloatBuffer
    private let z: FloatBuffer
    private let dMoments: FloatBuffer
    private let dLogits: FloatBuffer
    private let nll: FloatBuffer
    private let kl: FloatBuffer
    private let targets: FloatBuffer
    private let logWeights: FloatBuffer
    /// Each latent dimension's KL summed over the rows of the last training forward pass.
    public let klPerDimension: UnsafeMutablePointer<Double>
    /// The weight of each dimension's KL in the next backward pass (the objective's KL weight,
    /// 0 for a dimension under its free bits); 1 by default, the ELBO.
    public let klWeights: FloatBuffer

    /// The parameters a configuration has, by name, in the order of the flat store, without
    /// allocating any of them (a checkpoint is checked against this before its model is built).
    public static func parameterSpecs(config: ModelConfig, head: any Likelihood) -> [ParameterSpec] {
        if config.architecture == "hvae" {
            return Hierarchy(config: config, capacity: 1).parameterSpecs + headSpecs(head)
        }
        let (encoder, decoder) = Architecture.layers(config)
        return parameterSpecs(encoder: encoder, decoder: decoder, head: head)
    }

    private static func parameterSpecs(encoder: [Layer], decoder: [Layer], head: any Likelihood) -> [ParameterSpec] {
        var specs: [ParameterSpec] = []
        for (prefix, layers) in [("encoder", encoder), ("decoder", decoder)] {
            for (i, layer) in layers.enumerated() where layer.parameterCount > 0 {
                specs += layer.parameterSpecs.map { ParameterSpec(name: "\(prefix).\(i).\($0.name)", shape: $0.shape) }
            }
        }
        return specs + headSpecs(head)
    }

    private static func headSpecs(_ head: any Likelihood) -> [ParameterSpec] {
        head.parameterSpecs.map { ParameterSpec(name: "head.\($0.name)", shape: $0.shape) }
    }

    public init(config: ModelConfig, head: any Likelihood, capacity: Int, samples: Int = 1, importanceWeighted: Bool = false) {
        precondition(samples >= 1)
        let d = config.inputSize, rows = capacity * samples
        self.config = config
        self.head = head
        self.capacity = capacity
        self.samples = samples
        self.importanceWeighted = importanceWeighted
        scorer = HeadScorer(head: head, capacity: rows)
        var owners: [(bind: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void, count: Int)] = []
        let k: Int, noise: Int
        if config.architecture == "hvae" {
            precondition(samples == 1 && !importanceWeighted, "VAE: the hierarchical model trains on the one-sample ELBO")
            let h = Hierarchy(config: config, capacity: capacity)
            hierarchy = h
            single = nil
            owners.append((h.bind, h.parameterCount))
            owners.append((scorer.bind, scorer.parameterCount))
            parameters = ParameterStore(specs: h.parameterSpecs + Self.headSpecs(head))
            k = h.groups[0].groupSize
            noise = h.noisePerRow
        } else {
            let (encoderLayers, decoderLayers) = Architecture.layers(config)
            let nets = (encoder: Sequential(encoderLayers, capacity: capacity), decoder: Sequential(decoderLayers, capacity: rows))
            single = nets
            hierarchy = nil
            for net in [nets.encoder, nets.decoder] {
                for layer in net.layers where layer.parameterCount > 0 { owners.append((layer.bind, layer.parameterCount)) }
            }
            owners.append((scorer.bind, scorer.parameterCount))
            parameters = ParameterStore(specs: Self.parameterSpecs(encoder: encoderLayers, decoder: decoderLayers, head: head))
            k = config.latent
            noise = samples * k
        }
        latent = k
        var offset = 0
        for owner in owners {
            owner.bind(parameters.values.pointer + offset, parameters.gradients.pointer + offset)
            offset += owner.count
        }

        eps = FloatBuffer(count: capacity * noise)
        z = FloatBuffer(count: rows * k)
        topMoments = FloatBuffer(count: hierarchy != nil ? capacity * 2 * k : 0)
        groupWeights = FloatBuffer([Float](repeating: 1, count: hierarchy?.groups.count ?? 0))
        groupCount = hierarchy?.groups.count ?? 0
        klPerGroup = .allocate(capacity: max(1, groupCount))
        klPerGroup.initialize(repeating: 0, count: max(1, groupCount))
        dMoments = FloatBuffer(count: capacity * 2 * k)
        dLogits = FloatBuffer(count: rows * d)
        nll = FloatBuffer(count: rows)
        kl = FloatBuffer(count: capacity)
        // The head scores every sample row against its example: the examples repeated K times.
        targets = FloatBuffer(count: samples > 1 ? rows * d : 0)
        logWeights = FloatBuffer(count: importanceWeighted ? rows : 0)
        klPerDimension = .allocate(capacity: k)
        klPerDimension.initialize(repeating: 0, count: k)
        klWeights = FloatBuffer([Float](repeating: 1, count: k))
    }

    deinit { klPerDimension.deallocate(); klPerGroup.deallocate() }

    /// Latent dimensions a gallery sweeps: the single latent, or the hierarchy's top group.
    public let latent: Int
    public var inputSize: Int { config.inputSize }
    /// The hierarchy's top-group moments, rearranged [rows x (means, log-variances)].
    private let topMoments: FloatBuffer
    /// hvae: each group's KL weight in the next backward pass (1 by default, the ELBO).
    public let groupWeights: FloatBuffer
    /// hvae: latent groups (0 for the single-latent models).
    public let groupCount: Int
    /// hvae: each group's KL summed over the rows of the last forward pass, in decoder order.
    public let klPerGroup: UnsafeMutablePointer<Double>

    /// The processes of a data-parallel job, for what the head sums over a whole batch.
    public var collective: Collective? {
        get { scorer.collective }
        set { scorer.collective = newValue }
    }

    /// A process with no rows of a training batch joins the head's sums over it (see
    /// Likelihood.sumsOverBatch); after a forward pass, an error of those sums.
    public func joinHeadSums(parts: BatchParts) throws { try scorer.joinSumOverBatch(parts: parts) }
    public func throwHeadError() throws { try scorer.throwPendingError() }

    /// hvae: the side of each latent group, in decoder order, for a configuration (no model built).
    public static func groupSides(_ config: ModelConfig) -> [Int] {
        Hierarchy.groupSides(config)
    }

    /// Draws fresh weights (layer order fixed, so a seed always gives the same model).
    public func initialize(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        if let hierarchy {
            hierarchy.initialize(rng: &rng)
            head.initialize()
            return
        }
        for layer in encoder.layers + decoder.layers { layer.initialize(rng: &rng) }
        head.initialize()
    }

    /// One forward and backward pass: fills `parameters.gradients` with d(mean loss)/dθ.
    /// `x` is [batch x D] in [0, 1]; the head may binarise it in place first.
    @discardableResult
    public func trainStep(_ x: UnsafeMutablePointer<Float>, batch: Int, rng: inout SplitMix64) -> BatchLoss {
        let loss = trainingForward(x, batch: batch, rng: &rng)
        trainingBackward(batch: batch)
        return loss
    }

    /// The forward half of `trainStep`, including dLoss/dlogits from the head. `share`: these
    /// rows are part of a larger batch split between processes (their gradients are of the whole
    /// batch's mean loss, so the processes' gradients add up to it); nil: the rows are the batch.
    /// `parts`: the order in which the batch's gradients are summed (see BatchParts; default one part).
    public func trainingForward(_ x: UnsafeMutablePointer<Float>, batch: Int, rng: inout SplitMix64,
                                share: BatchShare? = nil, parts: BatchParts? = nil) -> BatchLoss {
        self.parts = parts ?? .whole(batch)
        precondition(self.parts.rows == batch, "VAE: \(batch) rows are not the parts' \(self.parts.rows)")
        // Zeroed here, not in the backward half: the head adds its own parameters' gradients
        // while it scores the batch. (After a whole Adam step they already are.)
        if !parameters.gradientsAreZero { parameters.gradients.zero() }
        parameters.gradientsAreZero = false
        return forward(x, batch: batch, rng: &rng, share: share ?? BatchShare(offset: 0, total: batch), gradients: true)
    }

    /// The backward half of `trainStep`: call right after `trainingForward` on the same batch.
    public func trainingBackward(batch: Int) {
        if let hierarchy {
            hierarchy.backward(dLogits.pointer, batch: batch, klScale: stepScale, groupWeights: groupWeights.pointer, parts: parts)
            return
        }
        let moments = UnsafePointer(encoder.output), rows = batch * samples
        decoder.backward(dLogits.pointer, batch: rows, computeInputGradient: true, parts: parts.perExample(samples))
        if importanceWeighted {
            ImportanceWeights.addPriorGradient(z: z.pointer, weights: logWeights.pointer, dz: decoder.inputGradient,
                                               rows: rows, latent: latent, scale: stepScale)
        }
        Reparameterization.backward(moments: moments, eps: eps.pointer, dz: decoder.inputGradient,
                                    dMoments: dMoments.pointer, batch: batch, latent: latent, samples: samples)
        if importanceWeighted {
            ImportanceWeights.addPosteriorGradient(dMoments: dMoments.pointer, batch: batch, latent: latent, scale: stepScale)
        } else {
            KLDivergence.backward(moments: moments, dMoments: dMoments.pointer, scale: stepScale,
                                  batch: batch, latent: latent, weights: klWeights.pointer)
        }
        encoder.backward(dMoments.pointer, batch: batch, computeInputGradient: false, parts: parts)
    }

    /// The training step's order of summing gradients (set by `trainingForward`).
    private var parts = BatchParts.whole(0)

    /// The loss without gradients, one posterior sample per example (whatever the training
    /// objective, so test figures compare across objectives). `offset`: the rows' index in the
    /// whole set, which picks each example's noise.
    public func evaluate(_ x: UnsafeMutablePointer<Float>, batch: Int, rng: inout SplitMix64, offset: Int = 0) -> BatchLoss {
        forward(x, batch: batch, rng: &rng, share: BatchShare(offset: offset, total: batch), gradients: false)
    }

    /// What a training step on `x` minimises (summed over the rows), without gradients: the
    /// negative ELBO over the training samples, or the negative IWAE bound.
    public func trainingObjective(_ x: UnsafeMutablePointer<Float>, batch: Int, rng: inout SplitMix64) -> Double {
        let loss = forward(x, batch: batch, rng: &rng, share: BatchShare(offset: 0, total: batch), gradients: false,
                           samples: samples)
        return importanceWeighted ? lastBound : loss.negELBO
    }

    /// 1 / rows of the whole batch: the loss is the batch mean.
    private var stepScale: Float = 1

    /// `samples`: per example (the training objective's with gradients, else one unless asked).
    private func forward(_ x: UnsafeMutablePointer<Float>, batch: Int, rng: inout SplitMix64,
                         share: BatchShare, gradients: Bool, samples given: Int? = nil) -> BatchLoss {
        precondition(batch > 0 && batch <= capacity)
        let k = given ?? (gradients ? samples : 1), rows = batch * k, d = inputSize
        let weighted = importanceWeighted && k == samples
        // Each row's noise (binarisation, reparameterisation) comes from its own stream, picked
        // by its row number in the whole batch: the same numbers however the batch is split.
        let base = rng
        _ = rng.next()
        stepScale = 1 / Float(share.total)
        if let hierarchy {
            prepareRows(x, batch: batch, base: base, share: share, gradients: gradients, noise: hierarchy.noisePerRow)
            return hierarchicalForward(hierarchy, x, batch: batch, gradients: gradients)
        }
        prepareRows(x, batch: batch, base: base, share: share, gradients: gradients, noise: k * latent)
        let moments = UnsafePointer(encoder.forward(x, batch: batch))
        Reparameterization.forward(moments: moments, eps: eps.pointer, z: z.pointer, batch: batch, latent: latent, samples: k)
        if k > 1 {
            for r in 0..<batch { for s in 0..<k { (targets.pointer + (r * k + s) * d).update(from: x + r * d, count: d) } }
        }
        let logits = decoder.forward(z.pointer, batch: rows)
        if weighted {
            ImportanceWeights.logRatio(moments: moments, eps: eps.pointer, z: z.pointer, batch: batch, latent: latent,
                                       samples: k, into: logWeights.pointer)
        }
        // The ELBO averages its reconstruction term over the samples; the IWAE bound weighs each
        // sample's gradient by its normalised importance weight, known once the rows are scored.
        scorer.negativeLogLikelihood(
            logits: logits, targets: k > 1 ? targets.pointer : x, batch: rows, dimension: d, nll: nll.pointer,
            dLogits: gradients ? dLogits.pointer : nil, scale: weighted ? stepScale : stepScale / Float(k), weighted: weighted,
            parts: gradients ? parts.perExample(k) : nil)
        if weighted {
            lastBound = ImportanceWeights.normalize(logWeights.pointer, nll: nll.pointer, batch: batch, samples: k)
            if gradients { scorer.weighRows(logWeights.pointer) }
        }
        KLDivergence.forward(moments: moments, out: kl.pointer, batch: batch, latent: latent,
                             dimensions: gradients ? klPerDimension : nil)
        var loss = BatchLoss()
        for i in 0..<rows { loss.reconstruction += Double(nll[i]) }
        loss.reconstruction /= Double(k)
        for i in 0..<batch { loss.kl += Double(kl[i]) }
        loss.count = batch
        return loss
    }

    /// Each row's flip, the head's preparation and `noise` normal values into eps, from the row's
    /// own stream, picked by its row number in the whole batch.
    private func prepareRows(_ x: UnsafeMutablePointer<Float>, batch: Int, base: SplitMix64, share: BatchShare,
                             gradients: Bool, noise: Int) {
        let d = inputSize
        for r in 0..<batch {
            var row = base.derived(UInt64(share.offset + r))
            if gradients && flipsHorizontally && row.next() & 1 == 1 { Self.flip(x + r * d, config.shape) }
            head.prepare(x + r * d, count: d, rng: &row)
            row.fillNormal(eps.pointer + r * noise, count: noise)
        }
    }

    /// `forward` for the hierarchy: one posterior draw of every group per row.
    private func hierarchicalForward(_ h: Hierarchy, _ x: UnsafeMutablePointer<Float>, batch: Int, gradients: Bool) -> BatchLoss {
        let d = inputSize
        let logits = h.forward(x, noise: eps.pointer, batch: batch, kl: kl.pointer)
        scorer.negativeLogLikelihood(logits: logits, targets: x, batch: batch, dimension: d, nll: nll.pointer,
                                     dLogits: gradients ? dLogits.pointer : nil, scale: stepScale,
                                     parts: gradients ? parts : nil)
        for (g, block) in h.groups.enumerated() { klPerGroup[g] = block.klSum }
        var loss = BatchLoss()
        for i in 0..<batch { loss.reconstruction += Double(nll[i]) }
        loss.kl = (0..<groupCount).reduce(0) { $0 + klPerGroup[$1] }  // the groups' Double sums, not the rows' Float ones
        loss.count = batch
        return loss
    }

    /// Mirrors one [H x W x C] image left-right, in place.
    public static func flip(_ image: UnsafeMutablePointer<Float>, _ shape: ImageShape) {
        let c = shape.channels, w = shape.width
        for y in 0..<shape.height {
            let row = image + y * w * c
            for x in 0..<w / 2 {
                let a = row + x * c, b = row + (w - 1 - x) * c
                for k in 0..<c { let t = a[k]; a[k] = b[k]; b[k] = t }
            }
        }
    }

    /// The posterior moments [rows x 2Z] of the rows the encoder last saw (a training step's,
    /// `evaluate`'s or `encode`'s).
    public var posteriorMoments: UnsafePointer<Float> {
        guard let hierarchy else { return UnsafePointer(encoder.output) }
        // Rearranged when asked (evaluation), not in every training step.
        hierarchy.copyTopMoments(into: topMoments.pointer)
        return UnsafePointer(topMoments.pointer)
    }

    /// hvae: group g's posterior moments of the last forward pass, [rows x side x side x 2c]
    /// (per pixel c means, then c log-variances), with its pixels and channels c.
    public func groupMoments(_ g: Int) -> (moments: UnsafePointer<Float>, pixels: Int, channels: Int) {
        let block = hierarchy!.groups[g]
        return (block.posteriorMoments, block.pixels, block.latentChannels)
    }

    /// Posterior moments [batch x 2Z] (means, then log-variances) for `x`.
    public func encode(_ x: UnsafePointer<Float>, batch: Int) -> UnsafePointer<Float> {
        if let hierarchy {
            eps.pointer.update(repeating: 0, count: batch * hierarchy.noisePerRow)
            hierarchy.encodeTop(x, zeros: eps.pointer, batch: batch)
            return posteriorMoments
        }
        return UnsafePointer(encoder.forward(x, batch: batch))
    }

    /// hvae: `rows` posterior draws of one example x [D] (already prepared by the head), each
    /// row's noise from `rng`; out[r] = log p(x | z) + log p(z) - log q(z | x) over every group:
    /// the importance weights of `Evaluator.importanceSampled`. rows <= capacity.
    func hierarchicalLogWeights(_ x: UnsafePointer<Float>, rows: Int, rng: inout SplitMix64, into out: UnsafeMutablePointer<Double>) {
        guard let hierarchy else { preconditionFailure("VAE: log weights of a hierarchy on a single-latent model") }
        let d = inputSize, noise = hierarchy.noisePerRow
        for r in 0..<rows { (dLogits.pointer + r * d).update(from: x, count: d) }  // the rows' targets
        rng.fillNormal(eps.pointer, count: rows * noise)
        let logits = hierarchy.forward(UnsafePointer(dLogits.pointer), noise: eps.pointer, batch: rows, kl: kl.pointer)
        scorer.negativeLogLikelihood(logits: logits, targets: dLogits.pointer, batch: rows, dimension: d,
                                     nll: nll.pointer, dLogits: nil, scale: 1)
        for r in 0..<rows { out[r] = -Double(nll[r]) }
        for g in hierarchy.groups { g.addLogRatio(into: out) }
    }

    /// -log p(x_r | z_r) for each row: the decoder's outputs for `z` [batch x Z] scored by the
    /// head against `targets` [batch x D] (already prepared by the head), into `nll[batch]`.
    public func reconstructionNLL(_ z: UnsafePointer<Float>, targets: UnsafePointer<Float>, batch: Int,
                                  into out: UnsafeMutablePointer<Float>) {
        let logits = decoder.forward(z, batch: batch)
        scorer.negativeLogLikelihood(logits: logits, targets: targets, batch: batch, dimension: inputSize,
                                     nll: out, dLogits: nil, scale: 1)
    }

    /// hvae: the temperature of the groups below the top when `decodeMean` decodes a given top
    /// latent: 0 (their prior means, no noise) for traversals and interpolations; a sample grid
    /// sets its own, and the groups' noise then comes from `samplingNoise`.
    public var samplingTemperature: Float = 0
    public var samplingNoise = SplitMix64(seed: 0)

    /// The decoder's mean image reconstructing each row of x, into `out[batch x D]`: decoded
    /// from the posterior mean (the hierarchy: every group at its posterior mean, not only the top).
    public func reconstructMean(_ x: UnsafePointer<Float>, batch: Int, into out: UnsafeMutablePointer<Float>) {
        if let hierarchy {
            eps.pointer.update(repeating: 0, count: batch * hierarchy.noisePerRow)
            head.mean(logits: hierarchy.reconstruct(x, zeros: eps.pointer, batch: batch), into: out, count: batch * inputSize)
            return
        }
        let moments = encode(x, batch: batch), k = latent
        for r in 0..<batch { for j in 0..<k { z[r * k + j] = moments[r * 2 * k + j] } }
        decodeMean(z.pointer, batch: batch, into: out)
    }

    /// The decoder's mean image for each latent row of `z`, into `out[batch x D]` in [0, 1].
    public func decodeMean(_ z: UnsafePointer<Float>, batch: Int, into out: UnsafeMutablePointer<Float>) {
        if let hierarchy, samplingTemperature > 0 { samplingNoise.fillNormal(eps.pointer, count: batch * hierarchy.noisePerRow) }
        let logits = hierarchy.map { $0.generate(top: z, stride: latent, temperature: samplingTemperature, noise: eps.pointer, batch: batch) }
            ?? UnsafePointer(decoder.forward(z, batch: batch))
        head.mean(logits: logits, into: out, count: batch * inputSize)
    }
}

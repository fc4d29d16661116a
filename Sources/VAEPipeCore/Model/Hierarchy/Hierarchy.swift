/// The hierarchical model (`--arch hvae`), a top-down VAE in VDVAE's style sized for a CPU:
/// a residual encoder that keeps its activation at every side, and a decoder that starts from a
/// learned constant at 4x4 and, at each side up to 16x16, runs blocks that each draw a latent
/// group from q(z_i | x, z<i) (training) or p(z_i | z<i) (sampling) and add it into the running
/// state; larger sides get plain residual blocks; then a transposed convolution to the head's
/// logits at full size. Sides are those of half the padded image P (a power of two) halving
/// down to 4: the first step in and the last step out work at two pixels a side per state pixel,
/// as the resnet's do, because blocks at the full side on a few channels cost a CPU half of the
/// step for next to nothing. `width` channels throughout, `blocks` blocks per side on each side
/// of the model.
///
///     encoder: [pad] Conv 4x4/2 -> w, Block x n         at P/2    -> a_P/2
///              Conv 4x4/2, Block x n                   at each side s < P/2 down to 4 -> a_s
///     decoder: h = constant (4x4xw)
///              per side s = 4 ... P/2: TopDown(a_s) x n (s <= 16) or Block x n; Upsample x2 (s < P/2)
///              SiLU, ConvTranspose 4x4/2 -> channels [crop]
///
/// The loss is the head's reconstruction term plus every group's KL(q || p) (each analytic,
/// between two diagonal Gaussians). No batch statistics anywhere: shares of a batch still add up
/// bit for bit.
final class Hierarchy {
    static let largestLatentSide = 16

    let config: ModelConfig
    let capacity: Int
    let sides: [Int]  // P/2, P/4, ..., 4
    let encoderStages: [Sequential]
    let start: LearnedConstant
    enum Step { case topDown(TopDownBlock), plain(Sequential) }
    let steps: [Step]
    let output: Sequential
    /// The top-down blocks in decoder order (the groups), and each one's noise offset in a row.
    let groups: [TopDownBlock]
    let noiseOffsets: [Int]
    /// Noise values per row: every group's side x side x latent channels.
    let noisePerRow: Int
    private let startState: FloatBuffer, dEncoded: [FloatBuffer]

    init(config c: ModelConfig, capacity: Int) {
        config = c; self.capacity = capacity
        let p = c.paddedSide, channels = c.shape.channels, side = c.shape.height, margin = (p - side) / 2
        let w = c.width, n = c.blocks ?? ModelConfig.defaultBlocks, zc = c.latent
        var s = p / 2, list: [Int] = []
        while s >= 4 { list.append(s); s /= 2 }
        sides = list
        let blockScale = 1 / Float(max(1, n * list.count)).squareRoot()
        func blocks(_ s: Int) -> [Layer] { (0..<n).map { _ in ResNet.block(channels: w, side: s, scale: blockScale) } }

        var stages: [Sequential] = []
        for (i, s) in list.enumerated() {
            var layers: [Layer] = []
            if i == 0, margin > 0 { layers.append(ZeroPad2D(channels: channels, height: side, width: side, pad: margin)) }
            layers.append(Conv2D(inChannels: i == 0 ? channels : w, outChannels: w, height: 2 * s, width: 2 * s))
            layers += blocks(s)
            stages.append(Sequential(layers, capacity: capacity))
        }
        encoderStages = stages

        start = LearnedConstant(size: 4 * 4 * w)
        var steps: [Step] = [], groups: [TopDownBlock] = []
        // The groups' layout is `groupSides`'s, so the model line and the model agree.
        let groupSides = Self.groupSides(c)
        for s in list.reversed() {
            if groupSides.contains(s) {
                for side in groupSides where side == s {
                    let b = TopDownBlock(side: side, width: w, latentChannels: zc, blocks: groupSides.count, capacity: capacity)
                    steps.append(.topDown(b)); groups.append(b)
                }
            } else if n > 0 {
                steps.append(.plain(Sequential(blocks(s), capacity: capacity)))
            }
            if s < p / 2 { steps.append(.plain(Sequential([Upsample2D(channels: w, height: s, width: s)], capacity: capacity))) }
        }
        self.steps = steps
        self.groups = groups
        var offsets: [Int] = [], total = 0
        for g in groups { offsets.append(total); total += g.groupSize }
        noiseOffsets = offsets
        noisePerRow = total
        let h = p / 2
        var out: [Layer] = [SiLU(h * h * w), ConvTranspose2D(inChannels: w, outChannels: channels, height: h, width: h)]
        if margin > 0 { out.append(Crop2D(channels: channels, height: p, width: p, crop: margin)) }
        output = Sequential(out, capacity: capacity)
        startState = FloatBuffer(count: capacity * 16 * w)
        dEncoded = list.map { FloatBuffer(count: capacity * $0 * $0 * w) }
    }

    /// The sides of the groups in decoder order, as `init` lays them out.
    static func groupSides(_ c: ModelConfig) -> [Int] {
        var sides: [Int] = [], s = 4
        while s <= min(c.paddedSide / 2, largestLatentSide) {
            sides += Array(repeating: s, count: max(1, c.blocks ?? ModelConfig.defaultBlocks)); s *= 2
        }
        return sides
    }

    /// The encoder stage whose activation a block at `side` reads.
    private func stage(_ side: Int) -> Int { sides.firstIndex(of: side)! }

    /// A block's posterior draw, from the encoder's activation at its side.
    private func posteriorDraw(_ block: TopDownBlock) -> TopDownBlock.Draw {
        .posterior(UnsafePointer(encoderStages[stage(block.side)].output))
    }

    // MARK: parameters

    /// Binding owners in the order of the flat store, with their names' prefixes.
    private var owners: [(prefix: String, specs: [ParameterSpec], bind: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void)] {
        var list: [(String, [ParameterSpec], (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void)] = []
        for (i, stage) in encoderStages.enumerated() {
            for (j, layer) in stage.layers.enumerated() where layer.parameterCount > 0 {
                list.append(("encoder.\(i).\(j)", layer.parameterSpecs, { layer.bind(values: $0, gradients: $1) }))
            }
        }
        list.append(("decoder.start", start.parameterSpecs, { [start] in start.bind(values: $0, gradients: $1) }))
        for (i, step) in steps.enumerated() {
            switch step {
            case .topDown(let b): list.append(("decoder.\(i)", b.parameterSpecs, { b.bind(values: $0, gradients: $1) }))
            case .plain(let net):
                for (j, layer) in net.layers.enumerated() where layer.parameterCount > 0 {
                    list.append(("decoder.\(i).\(j)", layer.parameterSpecs, { layer.bind(values: $0, gradients: $1) }))
                }
            }
        }
        for (j, layer) in output.layers.enumerated() where layer.parameterCount > 0 {
            list.append(("output.\(j)", layer.parameterSpecs, { layer.bind(values: $0, gradients: $1) }))
        }
        return list
    }

    var parameterSpecs: [ParameterSpec] {
        owners.flatMap { o in o.specs.map { ParameterSpec(name: "\(o.prefix).\($0.name)", shape: $0.shape) } }
    }

    var parameterCount: Int { parameterSpecs.reduce(0) { $0 + $1.count } }

    func bind(values: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {
        var offset = 0
        for o in owners {
            o.bind(values + offset, gradients + offset)
            offset += o.specs.reduce(0) { $0 + $1.count }
        }
    }

    func initialize(rng: inout SplitMix64) {
        for stage in encoderStages { for layer in stage.layers { layer.initialize(rng: &rng) } }
        start.initialize()
        for step in steps {
            switch step {
            case .topDown(let b): b.initialize(rng: &rng)
            case .plain(let net): for layer in net.layers { layer.initialize(rng: &rng) }
            }
        }
        for layer in output.layers { layer.initialize(rng: &rng) }
    }

    // MARK: passes

    private func encode(_ x: UnsafePointer<Float>, batch: Int) {
        var input = x
        for stage in encoderStages { input = UnsafePointer(stage.forward(input, batch: batch)) }
    }

    /// Logits reconstructing x: every group at its posterior mean (the noise all zeros).
    func reconstruct(_ x: UnsafePointer<Float>, zeros: UnsafePointer<Float>, batch: Int) -> UnsafePointer<Float> {
        encode(x, batch: batch)
        return decode(batch: batch, noise: zeros) { block, _ in posteriorDraw(block) }
    }

    /// Logits with the top group given (row r at `top + r * stride`) and every other group drawn
    /// from its prior at `temperature` (0: the prior's means, no noise read).
    func generate(top: UnsafePointer<Float>?, stride: Int, temperature: Float, noise: UnsafePointer<Float>,
                  batch: Int) -> UnsafePointer<Float> {
        decode(batch: batch, noise: noise, kl: nil) { _, g in
            if g == 0, let top { return .given(top, stride: stride) }
            return .prior(temperature: temperature)
        }
    }

    private func decode(batch: Int, noise: UnsafePointer<Float>, kl: UnsafeMutablePointer<Float>? = nil,
                        draw: (TopDownBlock, Int) -> TopDownBlock.Draw) -> UnsafePointer<Float> {
        start.forward(startState.pointer, batch: batch)
        var h = UnsafePointer(startState.pointer), g = 0
        for step in steps {
            switch step {
            case .topDown(let b):
                h = b.forward(h, draw: draw(b, g), noise: noise + noiseOffsets[g], stride: noisePerRow, batch: batch, kl: kl)
                g += 1
            case .plain(let net): h = UnsafePointer(net.forward(h, batch: batch))
            }
        }
        return UnsafePointer(output.forward(h, batch: batch))
    }

    /// x [batch x D] to the head's logits [batch x D], every group drawn from its posterior
    /// with row r's noise at `noise + r * noisePerRow`; each row's total KL goes into kl[r].
    func forward(_ x: UnsafePointer<Float>, noise: UnsafePointer<Float>, batch: Int,
                 kl: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        encode(x, batch: batch)
        kl.update(repeating: 0, count: batch)
        return decode(batch: batch, noise: noise, kl: kl) { block, _ in posteriorDraw(block) }
    }

    /// Backward through the last `forward`: dLogits [batch x D]; each group's KL gradient
    /// weighted by klScale x groupWeights[g].
    func backward(_ dLogits: UnsafePointer<Float>, batch: Int, klScale: Float, groupWeights: UnsafePointer<Float>,
                  parts: BatchParts) {
        for (i, d) in dEncoded.enumerated() { d.pointer.update(repeating: 0, count: batch * sides[i] * sides[i] * config.width) }
        output.backward(dLogits, batch: batch, computeInputGradient: true, parts: parts)
        var dh = UnsafePointer(output.inputGradient), g = groups.count
        for step in steps.reversed() {
            switch step {
            case .topDown(let b):
                g -= 1
                dh = b.backward(dh, klScale: klScale * groupWeights[g], dEncoded: dEncoded[stage(b.side)].pointer, parts: parts)
            case .plain(let net):
                net.backward(dh, batch: batch, computeInputGradient: true, parts: parts)
                dh = UnsafePointer(net.inputGradient)
            }
        }
        start.backward(dh, batch: batch, parts: parts)
        // The encoder, deepest stage first: each stage's output gradient is what the blocks at its
        // side sent plus the next stage's input gradient.
        for i in stride(from: encoderStages.count - 1, through: 0, by: -1) {
            let d = dEncoded[i].pointer, count = batch * sides[i] * sides[i] * config.width
            if i + 1 < encoderStages.count {
                let next = encoderStages[i + 1].inputGradient
                for j in 0..<count { d[j] += next[j] }
            }
            encoderStages[i].backward(d, batch: batch, computeInputGradient: i > 0, parts: parts)
        }
    }

    /// The top group's posterior moments for x, per row [means (16 zc) | log-variances (16 zc)]
    /// in pixel-major order, into `out`.
    /// Runs the encoder and the top block's posterior on x, for `copyTopMoments` (the rest of
    /// the decoder is not needed). `zeros`: noise rows of `noisePerRow` (the draw is not read).
    func encodeTop(_ x: UnsafePointer<Float>, zeros: UnsafePointer<Float>, batch: Int) {
        encode(x, batch: batch)
        start.forward(startState.pointer, batch: batch)
        _ = groups[0].forward(UnsafePointer(startState.pointer), draw: posteriorDraw(groups[0]), noise: zeros,
                              stride: noisePerRow, batch: batch, kl: nil)
    }

    /// The top group's moments of its last posterior forward, from pixel-major (means,
    /// log-variances) pairs to rows of [means | log-variances], as a single latent's are.
    func copyTopMoments(into out: UnsafeMutablePointer<Float>) {
        let top = groups[0], zc = top.latentChannels, n = top.pixels, k = top.groupSize, m = top.posteriorMoments
        for r in 0..<top.rows {
            for i in 0..<n {
                for c in 0..<zc {
                    out[r * 2 * k + i * zc + c] = m[(r * n + i) * 2 * zc + c]
                    out[r * 2 * k + k + i * zc + c] = m[(r * n + i) * 2 * zc + zc + c]
                }
            }
        }
    }
}

/// The resnet model (`--arch resnet`): the conv model's 4x4 stride-2 steps between resolutions,
/// with `blocks` residual blocks at each resolution on both sides, SiLU activations and no dense
/// hidden layer. Channels c_i = width * 2^i at the i-th resolution below the padded side P, down
/// to 4x4 (P = 64, width 32: 32x32x32, 16x16x64, 8x8x128, 4x4x256).
///
///     encoder: [pad]  per resolution: [SiLU] Conv 4x4/2 -> c_i, Block(c_i) x n   SiLU, Linear -> (mu, log-variance)
///     decoder: Linear z -> 4x4xc_top   per resolution: Block(c_i) x n, SiLU, ConvT 4x4/2 -> c_(i-1)   [crop]
enum ResNet {
    static func layers(_ c: ModelConfig) -> (encoder: [Layer], decoder: [Layer]) {
        let side = c.shape.height, channels = c.shape.channels, p = c.paddedSide, n = c.blocks ?? ModelConfig.defaultBlocks
        let margin = (p - side) / 2
        var stages: [(side: Int, channels: Int)] = []  // the resolutions below P, largest first
        var s = p / 2, width = c.width
        while s >= 4 { stages.append((s, width)); s /= 2; width *= 2 }
        // Each network's blocks start near the identity together: their sum's variance stays that of one.
        let scale = 1 / Float(max(1, n * stages.count)).squareRoot()

        var encoder: [Layer] = margin > 0 ? [ZeroPad2D(channels: channels, height: side, width: side, pad: margin)] : []
        var inC = channels
        for (i, stage) in stages.enumerated() {
            if i > 0 { encoder.append(SiLU(4 * stage.side * stage.side * inC)) }
            encoder.append(Conv2D(inChannels: inC, outChannels: stage.channels, height: 2 * stage.side, width: 2 * stage.side))
            encoder += (0..<n).map { _ in block(channels: stage.channels, side: stage.side, scale: scale) }
            inC = stage.channels
        }
        let flat = 4 * 4 * inC
        encoder += [SiLU(flat), Linear(flat, 2 * c.latent)]

        var decoder: [Layer] = [Linear(c.latent, flat)]
        for (i, stage) in stages.enumerated().reversed() {
            decoder += (0..<n).map { _ in block(channels: stage.channels, side: stage.side, scale: scale) }
            decoder.append(SiLU(stage.side * stage.side * stage.channels))
            decoder.append(ConvTranspose2D(inChannels: stage.channels, outChannels: i > 0 ? stages[i - 1].channels : channels,
                                           height: stage.side, width: stage.side))
        }
        if margin > 0 { decoder.append(Crop2D(channels: channels, height: p, width: p, crop: margin)) }
        return (encoder, decoder)
    }

    /// VDVAE's bottleneck block at c channels on a side x side image: x + f(x) with
    /// f = SiLU, 1x1 to c/2, SiLU, 3x3, SiLU, 3x3, SiLU, 1x1 back to c (the last scaled by `scale`).
    static func block(channels c: Int, side: Int, scale: Float) -> Residual {
        let m = max(1, c / 2), pixels = side * side
        func conv(_ i: Int, _ o: Int, _ k: Int) -> Conv2D {
            Conv2D(inChannels: i, outChannels: o, height: side, width: side, kernel: k, stride: 1, padding: k / 2)
        }
        return Residual([SiLU(pixels * c), conv(c, m, 1), SiLU(pixels * m), conv(m, m, 3),
                         SiLU(pixels * m), conv(m, m, 3), SiLU(pixels * m), conv(m, c, 1)],
                        lastLayerScale: scale)
    }
}

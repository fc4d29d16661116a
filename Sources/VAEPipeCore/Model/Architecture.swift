/// The encoder and decoder layer stacks for a `ModelConfig`.
enum Architecture {
    static func layers(_ c: ModelConfig) -> (encoder: [Layer], decoder: [Layer]) {
        precondition(c.problem == nil, c.problem ?? "")
        switch c.architecture {
        case "conv": return conv(c)
        case "resnet": return ResNet.layers(c)
        default: return mlp(c)
        }
    }

    /// D-H ReLU -> 2Z ; Z-H ReLU -> D.
    static func mlp(_ c: ModelConfig) -> (encoder: [Layer], decoder: [Layer]) {
        let d = c.inputSize, h = c.hidden, k = c.latent
        return ([Linear(d, h), ReLU(h), Linear(h, 2 * k)],
                [Linear(k, h), ReLU(h), Linear(h, d)])
    }

    /// 4x4 stride-2 convolutions halving the side and doubling the channels from `width` down to
    /// 4x4, a dense layer, then (mu, log-variance); the decoder mirrors it with transposed
    /// convolutions. Images are zero-padded to a power-of-two side and the output cropped back,
    /// as the PyTorch reference does for 28x28.
    static func conv(_ c: ModelConfig) -> (encoder: [Layer], decoder: [Layer]) {
        let side = c.shape.height, channels = c.shape.channels, p = c.paddedSide
        let margin = (p - side) / 2
        var encoder: [Layer] = margin > 0 ? [ZeroPad2D(channels: channels, height: side, width: side, pad: margin)] : []
        var s = p, inC = channels, outC = c.width
        var stages: [(side: Int, inC: Int, outC: Int)] = []
        while s > 4 {
            encoder += [Conv2D(inChannels: inC, outChannels: outC, height: s, width: s),
                        ReLU((s / 2) * (s / 2) * outC)]
            stages.append((s, inC, outC))
            s /= 2; inC = outC; outC *= 2
        }
        let flat = 4 * 4 * inC
        encoder += [Linear(flat, c.hidden), ReLU(c.hidden), Linear(c.hidden, 2 * c.latent)]

        var decoder: [Layer] = [Linear(c.latent, c.hidden), ReLU(c.hidden), Linear(c.hidden, flat), ReLU(flat)]
        for (i, stage) in stages.reversed().enumerated() {
            // The mirror of encoder stage (side, in -> out) maps out -> in at side/2 -> side.
            decoder.append(ConvTranspose2D(inChannels: stage.outC, outChannels: stage.inC, height: stage.side / 2, width: stage.side / 2))
            if i < stages.count - 1 { decoder.append(ReLU(stage.side * stage.side * stage.inC)) }
        }
        if margin > 0 { decoder.append(Crop2D(channels: channels, height: p, width: p, crop: margin)) }
        return (encoder, decoder)
    }
}

/// What training minimises per example: reconstruction + w * sum_j max(λ, KL_j), where w is the
/// KL weight (β, reached linearly over the warm-up epochs) and KL_j the batch's mean KL of latent
/// dimension j held at λ nats at least (free bits, Kingma et al. 2016: a dimension under λ gets no
/// pull towards the prior). β 1, no warm-up, no free bits: the negative ELBO.
public struct Objective: Codable, Sendable, Equatable {
    public var beta: Float = 1
    public var klWarmupEpochs: Int = 0
    public var freeBits: Float = 0
    public init(beta: Float = 1, klWarmupEpochs: Int = 0, freeBits: Float = 0) {
        self.beta = beta; self.klWarmupEpochs = klWarmupEpochs; self.freeBits = freeBits
    }

    enum CodingKeys: String, CodingKey { case beta, klWarmupEpochs = "kl_warmup_epochs", freeBits = "free_bits" }

    public var isELBO: Bool { beta == 1 && klWarmupEpochs == 0 && freeBits == 0 }

    /// The KL weight at a step (0-based, of `stepsPerEpoch`) of an epoch (1-based).
    public func klWeight(epoch: Int, step: Int, stepsPerEpoch: Int) -> Float {
        guard klWarmupEpochs > 0 else { return beta }
        let done = Double((epoch - 1) * stepsPerEpoch + step), span = Double(klWarmupEpochs * stepsPerEpoch)
        return beta * Float(min(1, done / span))
    }

    /// How the printed train loss is named.
    public var name: String {
        if isELBO { return "neg-ELBO" }
        var parts = ["β \(beta)"]
        if klWarmupEpochs > 0 { parts.append("KL warm-up \(klWarmupEpochs) epochs") }
        if freeBits > 0 { parts.append("free bits \(freeBits) nats/dim") }
        return "objective (" + parts.joined(separator: ", ") + ")"
    }
}

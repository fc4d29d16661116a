/// What training minimises per example. The bound: the ELBO, or the importance-weighted bound of
/// Burda et al. 2015, -log (1/K) sum_k p(x, z_k) / q(z_k | x), tighter as K grows; `samples` (K)
/// posterior samples per example either way (the ELBO averages its reconstruction term over them).
/// The ELBO's KL term may be weighted: reconstruction + w * sum_j max(λ, KL_j), where w is the KL
/// weight (β, reached linearly over the warm-up epochs) and KL_j the batch's mean KL of latent
/// dimension j held at λ nats at least (free bits, Kingma et al. 2016: a dimension under λ gets no
/// pull towards the prior). The default, ELBO with one sample and no weighting: the negative ELBO.
public struct Objective: Codable, Sendable, Equatable {
    public enum Bound: String, Codable, Sendable, CaseIterable { case elbo, iwae }
    public var bound: Bound = .elbo
    public var samples: Int = 1
    public var beta: Float = 1
    public var klWarmupEpochs: Int = 0
    public var freeBits: Float = 0
    public init(bound: Bound = .elbo, samples: Int = 1, beta: Float = 1, klWarmupEpochs: Int = 0, freeBits: Float = 0) {
        self.bound = bound; self.samples = samples
        self.beta = beta; self.klWarmupEpochs = klWarmupEpochs; self.freeBits = freeBits
    }

    enum CodingKeys: String, CodingKey {
        case bound, samples, beta, klWarmupEpochs = "kl_warmup_epochs", freeBits = "free_bits"
    }

    // Checkpoints from before the bound and samples were recorded trained the ELBO with one sample.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        bound = try c.decodeIfPresent(Bound.self, forKey: .bound) ?? .elbo
        samples = try c.decodeIfPresent(Int.self, forKey: .samples) ?? 1
        beta = try c.decode(Float.self, forKey: .beta)
        klWarmupEpochs = try c.decode(Int.self, forKey: .klWarmupEpochs)
        freeBits = try c.decode(Float.self, forKey: .freeBits)
    }

    /// β, warm-up or free bits change the ELBO's KL term.
    public var weighsKL: Bool { beta != 1 || klWarmupEpochs > 0 || freeBits > 0 }

    /// The figure minimised is the negative ELBO itself (with any number of samples): no second
    /// figure to report beside it.
    public var isELBO: Bool { bound == .elbo && !weighsKL }

    /// Why this objective cannot be trained, or nil.
    public var problem: String? {
        if !(1...Self.maxSamples).contains(samples) { return "--samples must be 1 to \(Self.maxSamples), not \(samples)" }
        if bound == .iwae && weighsKL {
            return "--beta, --kl-warmup and --free-bits weigh the ELBO's KL term; the IWAE bound has no separate KL term (use --objective elbo)"
        }
        return nil
    }

    /// Training decodes samples x batch rows per step; past this, a step's memory is out of proportion.
    public static let maxSamples = 1000

    /// The KL weight at a step (0-based, of `stepsPerEpoch`) of an epoch (1-based).
    public func klWeight(epoch: Int, step: Int, stepsPerEpoch: Int) -> Float {
        guard klWarmupEpochs > 0 else { return beta }
        let done = Double((epoch - 1) * stepsPerEpoch + step), span = Double(klWarmupEpochs * stepsPerEpoch)
        return beta * Float(min(1, done / span))
    }

    /// How the printed train loss is named.
    public var name: String {
        let k = samples > 1 ? " (\(samples) samples)" : ""
        if bound == .iwae { return "neg-IWAE bound" + k }
        if !weighsKL { return "neg-ELBO" + k }
        var parts = ["β \(beta)"]
        if klWarmupEpochs > 0 { parts.append("KL warm-up \(klWarmupEpochs) epochs") }
        if freeBits > 0 { parts.append("free bits \(freeBits) nats/dim") }
        if samples > 1 { parts.append("\(samples) samples") }
        return "objective (" + parts.joined(separator: ", ") + ")"
    }
}

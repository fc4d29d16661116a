import VAEPipeBuiltinPlugins

/// What `train` uses where a flag is not given, from the shape of the data. Small images (28x28
/// IDX) keep the MLP and the plain ELBO step. Images of 32x32 and up get what measured best on
/// real colour folders at equal wall clock (docs/hierarchical.md, docs/colour-folders.md;
/// Benchmarks/colour_quality.sh): the hierarchical model (the resnet with a 64-dimensional latent
/// when the objective is not the one-sample ELBO, which the hierarchy alone trains on), the
/// gaussian head's optimal sigma, a cosine schedule after 100 warm-up steps, a weight average
/// (0.999) and random flips.
struct TrainDefaults {
    var architecture: String
    var latent = 20
    var sigma: GaussianSigma?
    var aids = TrainingAids()

    init(shape: ImageShape, arch: String?, oneSampleELBO: Bool = true) {
        let large = min(shape.height, shape.width) >= 32
        architecture = arch ?? (large ? (oneSampleELBO ? "hvae" : "resnet") : "mlp")
        if architecture == "hvae" { latent = 8 }  // channels per pixel of each latent group
        guard large else { return }
        if architecture != "hvae" { latent = 64 }
        sigma = .optimal
        aids.schedule = .cosine
        aids.warmup = 100
        aids.ema = 0.999
        aids.flip = true
    }
}

extension TrainDefaults {
    /// Examples per step. The hierarchy learns from the number of steps more than from their
    /// size: on 64x64 colour icons, 4,600 examples in batches of 16 reach 17.1 dB where batches of
    /// 128 are still at 8.3 dB (still warming up), at the same examples a second.
    static func batch(_ architecture: String) -> Int { architecture == "hvae" ? 16 : 128 }

    /// Adam's rate: 2e-3 for the hierarchy (in 2 minutes on the icons, 6.58 bits/dim and 22.7 dB
    /// in batches of 16, against 6.61 and 22.5 at 1e-3 in batches of 8), 1e-3 for the others.
    static func learningRate(_ architecture: String) -> Float { architecture == "hvae" ? 2e-3 : 1e-3 }
}

extension TrainingAids {
    var isEmpty: Bool { self == TrainingAids() }
}

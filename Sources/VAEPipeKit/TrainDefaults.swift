import VAEPipeBuiltinPlugins

/// What `train` uses where a flag is not given, from the shape of the data: small gray images
/// (28x28 IDX) keep the MLP; images of 32x32 and up get the conv model.
struct TrainDefaults {
    var architecture: String
    var latent = 20
    var aids = TrainingAids()

    init(shape: ImageShape, arch: String?) {
        let large = min(shape.height, shape.width) >= 32
        architecture = arch ?? (large ? "conv" : "mlp")
    }
}

extension TrainingAids {
    var isEmpty: Bool { self == TrainingAids() }
}

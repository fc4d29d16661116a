import VAEPipeCore

/// For a model with a 2-D latent, what the decoder makes of the whole latent plane: decoder
/// means over a square grid of z = Φ⁻¹ of an evenly spaced grid in (0, 1)² (Kingma and Welling
/// 2014, fig. 4), so that every tile stands for an equal share of the prior's mass. z1 grows to
/// the right and z2 upwards, as on the latent map, so the two pictures can be laid side by side.
public enum Manifold: Exporter {
    public static let id = "manifold"
    public static let summary = "for a 2-D latent: decoder means over a grid covering the prior evenly (Φ⁻¹ of an even grid; z1 rightwards, z2 upwards)"
    public static let fileName = "manifold.png"
    /// Tiles per side.
    public static let defaultCount = 15

    public static func notApplicable(to config: ModelConfig) -> String? {
        config.latent == 2 ? nil : "it is drawn for a 2-D latent and this model's has \(config.latent) dimensions (train with --latent 2)"
    }

    public static func render(_ request: ExportRequest) throws -> GridImage {
        let model = request.model
        if let why = notApplicable(to: model.config) { throw VAEPipeError.notApplicable(id, why) }
        let side = max(2, request.count)
        let tiles = Evaluator.decodeMeans(model, latents: latents(side: side))
        return Grid.make(tiles, shape: model.config.shape, columns: side, for: request)
    }

    /// The codes, row by row from the top: row r, column c is (Φ⁻¹((c + ½)/n), Φ⁻¹(1 − (r + ½)/n)).
    /// Cell midpoints keep the grid inside (0, 1), where every quantile is finite, and symmetric about 0.
    public static func latents(side n: Int) -> [Float] {
        let q = (0..<n).map { Float(NormalQuantile.of((Double($0) + 0.5) / Double(n))) }
        var z: [Float] = []
        z.reserveCapacity(2 * n * n)
        for r in 0..<n {
            for c in 0..<n { z += [q[c], q[n - 1 - r]] }
        }
        return z
    }
}

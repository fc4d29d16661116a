import VAEPipeCore

/// One strip per latent dimension: that dimension swept from -3 to +3 while the others stay at
/// an input's posterior mean. Strips are ordered by the dimension's average KL, so the
/// dimensions the model actually uses come first and the collapsed ones (flat strips) last.
public enum TraversalStrip: Exporter {
    public static let id = "traversals"
    public static let summary = "per latent dimension, a strip sweeping it from -3 to +3 (most-used dimensions first)"
    public static let fileName = "traversals.png"
    public static let defaultCount = 0
    public static let range: Float = 3

    public static func render(_ request: ExportRequest) throws -> GridImage {
        let model = request.model, k = model.latent
        let steps = max(2, request.steps)
        // Statistics the caller already has win; otherwise they are measured on the inputs.
        let inputs = (request.inputs?.count ?? 0) > 0 ? request.inputs : nil
        var base = [Float](repeating: 0, count: k)
        if let remembered = request.traversalBase, remembered.count == k {
            base = remembered
        } else if let inputs {
            base = try Evaluator.posteriorMeans(model, on: inputs, count: 1)
        }
        var kl = [Float](repeating: 0, count: k)
        if let remembered = request.klPerDimension {
            kl = remembered
        } else if let inputs {
            kl = try Evaluator.klPerDimension(model, on: inputs)
        }
        guard kl.count == k else { throw VAEPipeError.invalidOption("KL statistics have \(kl.count) dimensions, the model \(k)") }
        let order = (0..<k).sorted { kl[$0] > kl[$1] }

        // Row r sweeps dimension order[r]; every other coordinate stays at the base.
        var z = [Float](repeating: 0, count: k * steps * k)
        for row in 0..<k {
            for step in 0..<steps {
                let code = (row * steps + step) * k
                for j in 0..<k { z[code + j] = base[j] }
                z[code + order[row]] = -range + 2 * range * Float(step) / Float(steps - 1)
            }
        }
        let tiles = Evaluator.decodeMeans(model, latents: z)
        return Grid.make(tiles, shape: model.config.shape, columns: steps, for: request)
    }
}

import VAEPipeCore

/// Inputs (spread evenly over the data) and what the model makes of them: each row of inputs sits above its row of
/// reconstructions (the decoder's mean at the posterior mean, so the picture is not noisy).
public enum Reconstructions: Exporter {
    public static let id = "reconstructions"
    public static let summary = "rows of inputs, each above the model's reconstructions of them"
    public static let fileName = "reconstructions.png"
    public static let defaultCount = 16

    public static func render(_ request: ExportRequest) throws -> GridImage {
        let model = request.model, d = model.inputSize
        let inputs = try request.inputs(for: "reconstructions").evenlySpaced(request.count)
        let n = min(request.count, inputs.count)
        let columns = min(n, 8)
        let pairs = (n + columns - 1) / columns
        // Decoded at the posterior mean, so the picture shows the model, not sampling noise.
        let recon = try Evaluator.reconstructions(model, on: inputs, count: n)
        var tiles = [Float](repeating: 0.5, count: 2 * pairs * columns * d)
        try tiles.withUnsafeMutableBufferPointer { t in
            for i in 0..<n {
                let row = i / columns, col = i % columns
                try inputs.copyNormalized(i, into: t.baseAddress! + (2 * row * columns + col) * d)
                for p in 0..<d { t[((2 * row + 1) * columns + col) * d + p] = recon[i * d + p] }
            }
        }
        return Grid.make(tiles, shape: inputs.shape, columns: columns, rows: 2 * pairs, for: request)
    }
}

import VAEPipeCore

/// Inputs (spread evenly over the data) and what the model makes of them: each row of inputs sits above its row of
/// reconstructions (the decoder's mean at the posterior mean, so the picture is not noisy).
public enum Reconstructions: Exporter {
    public static let id = "reconstructions"
    public static let summary = "rows of inputs, each above the model's reconstructions of them"
    public static let fileName = "reconstructions.png"
    public static let defaultCount = 16

    public static func render(_ request: ExportRequest) throws -> GridImage {
        guard let all = request.inputs, all.count > 0 else {
            throw VAEPipeError.invalidOption("reconstructions need input images (--data)")
        }
        let model = request.model, d = model.inputSize, k = model.latent
        let inputs = all.evenlySpaced(request.count)
        guard inputs.shape == model.config.shape else {
            throw VAEPipeError.invalidOption("the data's images are \(inputs.shape) but the model was trained on \(model.config.shape)")
        }
        let n = min(request.count, inputs.count)
        let columns = min(n, 8)
        let pairs = (n + columns - 1) / columns
        var tiles = [Float](repeating: 0.5, count: 2 * pairs * columns * d)
        let x = FloatBuffer(count: model.capacity * d), mu = FloatBuffer(count: model.capacity * k)
        let out = FloatBuffer(count: model.capacity * d)
        var done = 0
        while done < n {
            let b = min(model.capacity, n - done)
            for r in 0..<b { inputs.copyNormalized(done + r, into: x.pointer + r * d) }
            let m = model.encode(x.pointer, batch: b)
            for r in 0..<b { for j in 0..<k { mu[r * k + j] = m[r * 2 * k + j] } }
            model.decodeMean(mu.pointer, batch: b, into: out.pointer)
            for r in 0..<b {
                let i = done + r, row = i / columns, col = i % columns
                let inputTile = (2 * row * columns + col) * d, reconTile = ((2 * row + 1) * columns + col) * d
                for p in 0..<d { tiles[inputTile + p] = x[r * d + p]; tiles[reconTile + p] = out[r * d + p] }
            }
            done += b
        }
        return tiles.withUnsafeBufferPointer {
            Grid.make(tiles: $0, shape: inputs.shape, columns: columns, rows: 2 * pairs)
        }
    }
}

import VAEPipeCore

/// Walks from one held-out image to another through the latent space: each row is input a, the
/// decoder's means at evenly spaced points of the straight line between a's and b's posterior
/// means, and input b. The line's ends are included, so the second and the second-last tiles are
/// a's and b's reconstructions. The pairs join opposite halves of evenly spaced inputs, so a
/// folder sorted by class pairs images of different classes.
public enum Interpolations: Exporter {
    public static let id = "interpolations"
    public static let summary = "rows from one held-out image to another: input a, decoder means along the straight line between their posterior means, input b"
    public static let fileName = "interpolations.png"
    /// Rows (pairs of images).
    public static let defaultCount = 8

    public static func render(_ request: ExportRequest) throws -> GridImage {
        let model = request.model, d = model.inputSize
        let all = try request.inputs(for: id, atLeast: 2)
        let pairs = max(1, min(request.count, all.count / 2)), steps = max(2, request.steps)
        let inputs = all.evenlySpaced(2 * pairs)
        let means = try Evaluator.posteriorMeans(model, on: inputs, count: 2 * pairs)
        let decoded = Evaluator.decodeMeans(model, latents: latents(between: means, latent: model.latent, steps: steps))
        let columns = steps + 2
        var tiles = [Float](repeating: 0, count: pairs * columns * d)
        try tiles.withUnsafeMutableBufferPointer { t in
            for p in 0..<pairs {
                let row = t.baseAddress! + p * columns * d
                try inputs.copyNormalized(p, into: row)
                decoded.withUnsafeBufferPointer { (row + d).update(from: $0.baseAddress! + p * steps * d, count: steps * d) }
                try inputs.copyNormalized(pairs + p, into: row + (columns - 1) * d)
            }
        }
        return Grid.make(tiles, shape: inputs.shape, columns: columns, for: request)
    }

    /// The codes along each pair's line, row after row: `means` holds the a's, then as many b's
    /// [2 pairs x k]; step s of row p is (1 − t) a + t b with t = s / (steps − 1), which is a
    /// and b exactly at the ends.
    public static func latents(between means: [Float], latent k: Int, steps: Int) -> [Float] {
        let pairs = means.count / (2 * k)
        var z = [Float](repeating: 0, count: pairs * steps * k)
        for p in 0..<pairs {
            for s in 0..<steps {
                let t = Float(s) / Float(steps - 1)
                for j in 0..<k { z[(p * steps + s) * k + j] = (1 - t) * means[p * k + j] + t * means[(pairs + p) * k + j] }
            }
        }
        return z
    }
}

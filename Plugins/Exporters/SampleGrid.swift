import Foundation
import VAEPipeCore

/// What the model imagines: decoder means for z ~ N(0, I), in a square-ish grid.
public enum SampleGrid: Exporter {
    public static let id = "samples"
    public static let summary = "a grid of decoder means for z drawn from the prior N(0, I)"
    public static let fileName = "samples.png"
    public static let defaultCount = 64

    public static func render(_ request: ExportRequest) throws -> GridImage {
        let model = request.model, d = model.inputSize, k = model.latent
        let n = max(1, request.count)
        var rng = SplitMix64(seed: request.seed).derived(0x5A3B)
        var tiles = [Float](repeating: 0, count: n * d)
        let z = FloatBuffer(count: model.capacity * k), out = FloatBuffer(count: model.capacity * d)
        var done = 0
        while done < n {
            let b = min(model.capacity, n - done)
            rng.fillNormal(z.pointer, count: b * k)
            model.decodeMean(z.pointer, batch: b, into: out.pointer)
            for i in 0..<(b * d) { tiles[done * d + i] = out[i] }
            done += b
        }
        let columns = Int(Double(n).squareRoot().rounded(.up))
        return tiles.withUnsafeBufferPointer { Grid.make(tiles: $0, shape: model.config.shape, columns: columns) }
    }
}

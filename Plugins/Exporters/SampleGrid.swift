import Foundation
import VAEPipeCore

/// What the model imagines: decoder means for z ~ N(0, I), in a square-ish grid.
public enum SampleGrid: Exporter {
    public static let id = "samples"
    public static let summary = "a grid of decoder means for z drawn from the prior N(0, I)"
    public static let fileName = "samples.png"
    public static let defaultCount = 64

    public static func render(_ request: ExportRequest) throws -> GridImage {
        let model = request.model, k = model.latent
        let n = max(1, request.count)
        var rng = SplitMix64(seed: request.seed).derived(0x5A3B)
        var z = [Float](repeating: 0, count: n * k)
        z.withUnsafeMutableBufferPointer { rng.fillNormal($0.baseAddress!, count: n * k) }
        // Temperature: z ~ N(0, T^2 I), the prior narrowed (T < 1: typical samples) or widened.
        if request.temperature != 1 { for i in z.indices { z[i] *= request.temperature } }
        // A hierarchy draws its lower groups from their priors at the same temperature.
        let saved = (model.samplingTemperature, model.samplingNoise)
        model.samplingTemperature = request.temperature
        model.samplingNoise = rng.derived(0x7E3)
        defer { (model.samplingTemperature, model.samplingNoise) = saved }
        let tiles = Evaluator.decodeMeans(model, latents: z)
        let columns = Int(Double(n).squareRoot().rounded(.up))
        return Grid.make(tiles, shape: model.config.shape, columns: columns, for: request)
    }
}

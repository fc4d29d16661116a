import Foundation
import VAEPipeBuiltinPlugins

/// The files of a run directory, and loading its model.
enum RunDirectory {
    static let checkpointName = "model.safetensors"

    static func loadModel(_ run: String, registry: PluginRegistry, capacity: Int = 128) throws -> (VAE, Checkpoint) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: run, isDirectory: &isDir) else { throw VAEPipeError.missingPath(run) }
        let path = isDir.boolValue ? run.appendingPath(checkpointName) : run
        return try VAE.load(contentsOf: path, registry: registry, capacity: capacity)
    }
}

/// What traversal galleries need to remember from training: which latent dimensions carry
/// information (average KL each) and one posterior mean to sweep around.
enum GalleryStats {
    static let klName = "stats.kl_per_dimension"
    static let baseName = "stats.traversal_base"

    struct Values { var kl: [Float]; var base: [Float]
        var tensors: [Checkpoint.Tensor] {
            [Checkpoint.Tensor(name: klName, shape: [kl.count], values: kl),
             Checkpoint.Tensor(name: baseName, shape: [base.count], values: base)]
        }
    }

    static func compute(_ model: VAE, on set: ImageSet) throws -> Values {
        try Values(kl: Evaluator.klPerDimension(model, on: set), base: Evaluator.posteriorMeans(model, on: set, count: 1))
    }
}

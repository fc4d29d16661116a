import ArgumentParser
import Foundation
import VAEPipeBuiltinPlugins

struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Draw a grid of samples from a trained model (no data needed).")

    @Option(name: .customLong("run"), help: ArgumentHelp("Run directory (or checkpoint file) written by `vaepipe train`.", valueName: "dir"))
    var runDirectory: String
    @Option(help: "Number of samples.")
    var count: Int = 64
    @Option(help: "Seed for the latent draws.")
    var seed: UInt64 = 1
    @Option(help: "Scale of the latent draws: z ~ N(0, T^2 I); below 1 gives more typical samples.")
    var temperature: Float = 1
    @OptionGroup var output: PictureOutput

    func validate() throws {
        if !(1...4096).contains(count) { throw ValidationError("--count must be between 1 and 4096.") }
        if !(temperature >= 0 && temperature.isFinite) { throw ValidationError("--temperature must be a number of at least 0.") }
    }

    func run() throws {
        let (model, _) = try RunDirectory.loadModel(runDirectory, registry: VAEPipeKit.registry)
        var request = ExportRequest(model: model, count: count, seed: seed)
        request.temperature = temperature
        try output.write(SampleGrid.id, request)
    }
}

struct Reconstruct: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Draw inputs above the model's reconstructions of them.")

    @OptionGroup var source: RunAndData
    @Option(help: "Number of images to reconstruct.")
    var count: Int = 16
    @OptionGroup var output: PictureOutput

    func validate() throws {
        if !(1...1024).contains(count) { throw ValidationError("--count must be between 1 and 1024.") }
    }

    func run() throws {
        let (model, data) = try source.load()
        try output.write(Reconstructions.id, ExportRequest(model: model, inputs: data.evaluationSet.evenlySpaced(count), count: count))
    }
}

struct Traverse: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw one strip per latent dimension, sweeping it from -3 to +3 (most informative first).")

    @Option(name: .customLong("run"), help: ArgumentHelp("Run directory (or checkpoint file) written by `vaepipe train`.", valueName: "dir"))
    var runDirectory: String
    @Option(help: "Images per strip.")
    var steps: Int = 9
    @OptionGroup var output: PictureOutput

    func validate() throws { if !(2...64).contains(steps) { throw ValidationError("--steps must be between 2 and 64.") } }

    func run() throws {
        let (model, ckpt) = try RunDirectory.loadModel(runDirectory, registry: VAEPipeKit.registry)
        try output.write(TraversalStrip.id, ExportRequest(model: model, steps: steps,
                                                          klPerDimension: ckpt.tensor(GalleryStats.klName)?.values,
                                                          traversalBase: ckpt.tensor(GalleryStats.baseName)?.values))
    }
}

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a trained model: negative ELBO per example and the reconstructions' PSNR (test split, or all the data when there is none), as JSON.")

    @OptionGroup var source: RunAndData
    @Option(help: "Seed for the posterior samples.")
    var seed: UInt64 = 1
    @Option(help: ArgumentHelp("Also estimate log p(x) by importance sampling with K posterior samples per example (Burda et al. 2015), in nats and bits per dimension, with the active units.", valueName: "K"))
    var iwae: Int?
    @Option(help: ArgumentHelp("Score at most this many examples of the split, evenly spaced through it (default: all).", valueName: "n"))
    var examples: Int?

    func validate() throws {
        if let iwae, !(1...100_000).contains(iwae) { throw ValidationError("--iwae must be between 1 and 100000.") }
        if let examples, examples < 1 { throw ValidationError("--examples must be at least 1.") }
    }

    func run() throws {
        // Importance sampling decodes thousands of draws per example: in large batches.
        let (model, data) = try source.load(capacity: iwae.map { min($0, 1024) } ?? 128)
        let set = examples.map { data.evaluationSet.evenlySpaced($0) } ?? data.evaluationSet
        let loss = try Evaluator.evaluate(model, on: set, seed: seed)
        let n = Double(loss.count)
        var result: [String: Any] = [
            "neg_elbo": loss.negELBO / n, "reconstruction": loss.reconstruction / n, "kl": loss.kl / n,
            "examples": loss.count, "split": data.test == nil ? "all" : "test",
            "psnr": try Evaluator.reconstructionPSNR(model, on: set),
        ]
        if let iwae {
            let e = try Evaluator.importanceSampled(model, on: set, samples: iwae, seed: seed)
            result["iwae_samples"] = iwae
            result["log_likelihood"] = e.logLikelihood
            result["bits_per_dim"] = e.bitsPerDimension
            result["elbo_sampled"] = e.elbo
            result["elbo_bits_per_dim"] = e.elboBitsPerDimension
            result["active_units"] = e.activeUnits
            result["dequantization_nats"] = e.dequantization
        }
        let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }
}

extension RunDirectory {
    /// A run's model and checkpoint, and the data at the model's image size (checked to fit it).
    static func loadModelAndData(_ run: String, _ options: DataOptions, capacity: Int = 128) throws -> (VAE, Checkpoint, Dataset) {
        let (model, ckpt) = try loadModel(run, registry: VAEPipeKit.registry, capacity: max(capacity, 128))
        var options = options
        // The held-out split the run trained beside, unless another is asked for.
        if options.testFraction == nil, let info = try? RunInfo.read(run), let train = try? Train.parse(info.arguments) {
            options.testFraction = train.dataOptions.testFraction
        }
        return (model, ckpt, try loadMatching(model, options, registry: VAEPipeKit.registry, recorded: ckpt.pluginRecords))
    }
}

/// Loads data at the model's image size and checks that it fits the model. When that fails and
/// the run used a loaded adapter that is missing now (`recorded`), the error names its file.
private func loadMatching(_ model: VAE, _ options: DataOptions, registry: PluginRegistry, recorded: [[String: String]]) throws -> Dataset {
    let shape = model.config.shape
    let data: Dataset
    do {
        data = try registry.lookup(recorded: recorded) {
            try $0.loadDataset(path: options.path, adapterID: options.adapter, options: options.datasetOptions(matching: shape))
        }
    } catch {
        // Another adapter may have taken the path and failed (the folder adapter takes any directory).
        throw registry.missing(recorded, kinds: ["adapter"]) ?? error
    }
    guard data.shape == shape else {
        throw VAEPipeError.invalidOption("\(options.path): images are \(data.shape) but the model was trained on \(shape)")
    }
    return data
}

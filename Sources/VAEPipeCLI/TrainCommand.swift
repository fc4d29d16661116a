import ArgumentParser
import Foundation
import VAEPipeBuiltinPlugins

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a VAE and write a run directory: checkpoint, metrics.jsonl and galleries.")

    @OptionGroup var dataOptions: DataOptions

    @Option(help: ArgumentHelp("Likelihood head for p(x|z) (see `vaepipe plugins`).", valueName: "id"))
    var likelihood: String = "bernoulli"

    @Option(help: "How the bernoulli head binarises pixels: none (soft targets), threshold (> 0.5), dynamic (sampled each time).")
    var binarize: Binarization = .none

    @Option(help: "Passes over the training data.")
    var epochs: Int = 10

    @Option(help: "Examples per optimisation step.")
    var batch: Int = 128

    @Option(help: "Adam learning rate.")
    var lr: Float = 1e-3

    @Option(help: "Latent dimensions (Z).")
    var latent: Int = 20

    @Option(help: "Model: mlp or conv (default: conv for images of 32x32 and up, mlp for smaller ones such as 28x28 IDX).")
    var arch: String?

    @Option(help: "Units of the dense hidden layer (default: 400 for mlp, 256 for conv).")
    var hidden: Int?

    @Option(help: "conv: channels of the first convolution, doubling at each stride-2 step.")
    var width: Int = 32

    @Option(help: "Image folders: side of the square the images are resized and center-cropped to. IDX data keeps its own size.")
    var size: Int = 32

    @Option(help: "Random seed: initialisation, shuffling and sampling noise all derive from it.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Run directory to write (created if needed).", valueName: "dir"))
    var out: String

    func validate() throws {
        try dataOptions.validateLimit()
        if epochs < 1 { throw ValidationError("--epochs must be at least 1.") }
        if batch < 1 { throw ValidationError("--batch must be at least 1.") }
        if !(lr > 0 && lr.isFinite) { throw ValidationError("--lr must be a positive number.") }
        if latent < 1 { throw ValidationError("--latent must be at least 1.") }
        if let hidden, hidden < 1 { throw ValidationError("--hidden must be at least 1.") }
        if width < 1 { throw ValidationError("--width must be at least 1.") }
        if let arch, !ModelConfig.architectures.contains(arch) {
            throw ValidationError("--arch must be one of: \(ModelConfig.architectures.joined(separator: ", ")).")
        }
        if !(4...1024).contains(size) { throw ValidationError("--size must be between 4 and 1024.") }
    }

    func run() throws {
        let registry = BuiltinPlugins.registry()
        let headType = try registry.head(likelihood)
        let head = try headType.init(options: HeadOptions(binarize: binarize))

        let dataset = try registry.loadDataset(
            path: dataOptions.data, adapterID: dataOptions.adapter,
            options: DatasetOptions(size: size, limit: dataOptions.limit))
        print(describe(dataset))

        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try writeSkipped(dataset.skipped)
        try writeRunInfo(dataset)

        let architecture = arch ?? (min(dataset.shape.height, dataset.shape.width) >= 32 ? "conv" : "mlp")
        let config = ModelConfig(architecture: architecture, shape: dataset.shape,
                                 hidden: hidden ?? (architecture == "conv" ? 256 : 400), latent: latent,
                                 width: width, head: headType.id, headOptions: head.options)
        if let problem = config.problem { throw VAEPipeError.invalidOption(problem) }
        let model = VAE(config: config, head: head, capacity: batch)
        model.initialize(seed: seed)
        var options = TrainOptions()
        options.epochs = epochs; options.batchSize = batch; options.learningRate = lr; options.seed = seed
        let trainer = Trainer(model: model, train: dataset.train, test: dataset.test, options: options)
        print("model: \(describe(config)), \(model.parameters.count) parameters, head \(headType.id)")

        let metricsPath = out.appendingPath("metrics.jsonl")
        guard FileManager.default.createFile(atPath: metricsPath, contents: nil) else {
            throw VAEPipeError.io(path: metricsPath, reason: "cannot be created")
        }
        let metrics = try FileHandle(forWritingTo: URL(fileURLWithPath: metricsPath))
        defer { try? metrics.close() }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]

        var reports: [EpochReport] = []
        for epoch in 1...epochs {
            let report = try trainer.runEpoch(epoch)
            reports.append(report)
            var line = String(format: "epoch %d/%d  train loss %.2f (rec %.2f, kl %.2f)", epoch, epochs,
                              report.trainLoss, report.trainReconstruction, report.trainKL)
            if let t = report.testNegELBO { line += String(format: "  test neg-ELBO %.2f", t) }
            line += String(format: "  %.1fs  %.0f ex/s", report.seconds, report.examplesPerSecond)
            print(line)
            fflush(nil)  // progress shows up promptly when piped
            try metrics.write(contentsOf: encoder.encode(report) + Data("\n".utf8))
            try saveCheckpoint(model, dataset: dataset)
        }
        try writeGalleries(model, dataset: dataset, registry: registry)
        print(timingSummary(reports, examplesPerEpoch: dataset.train.count))
        print("wrote \(out): model.safetensors, metrics.jsonl, " + registry.exporters.map { $0.fileName }.joined(separator: ", "))
    }

    /// Where the training time went, per step, over all epochs.
    private func timingSummary(_ reports: [EpochReport], examplesPerEpoch: Int) -> String {
        func sum(_ f: (EpochReport) -> Double) -> Double { reports.reduce(0) { $0 + f($1) } }
        let seconds = sum(\.seconds), steps = Double(reports.reduce(0) { $0 + $1.steps })
        let parts = [("forward", sum(\.forwardSeconds)), ("backward", sum(\.backwardSeconds)),
                     ("optimizer", sum(\.optimizerSeconds)), ("data wait", sum(\.dataWaitSeconds))]
        let median = reports.map(\.seconds).sorted()[reports.count / 2]
        var s = String(format: "trained %d epochs in %.1fs (median %.2fs/epoch): %.0f examples/s; per step %.2f ms =",
                       reports.count, seconds, median, Double(examplesPerEpoch * reports.count) / seconds, 1000 * seconds / steps)
        s += parts.map { String(format: " %@ %.2f ms (%.1f%%)", $0.0, 1000 * $0.1 / steps, 100 * $0.1 / seconds) }
            .joined(separator: " +")
        return s
    }

    private func describe(_ c: ModelConfig) -> String {
        guard c.architecture == "conv" else { return "mlp \(c.inputSize)-\(c.hidden)-\(c.latent)" }
        var channels: [Int] = [c.shape.channels], w = c.width, s = c.paddedSide
        while s > 4 { channels.append(w); w *= 2; s /= 2 }
        return "conv \(c.paddedSide)x\(c.paddedSide) " + channels.map(String.init).joined(separator: "-")
            + " -> \(c.hidden) -> \(c.latent)"
    }

    private func describe(_ d: Dataset) -> String {
        var s = "data: \(d.source) (\(d.adapterID)): \(d.train.count) training images"
        if let t = d.test { s += ", \(t.count) test images" }
        s += ", \(d.shape)"
        if !d.classNames.isEmpty { s += ", \(d.classNames.count) classes" }
        if !d.skipped.isEmpty {
            s += "\nskipped \(d.skipped.count) unreadable file(s), listed in \(out.appendingPath("skipped.txt")):"
            for f in d.skipped.prefix(3) { s += "\n  \(f.path): \(f.reason)" }
            if d.skipped.count > 3 { s += "\n  ..." }
        }
        return s
    }

    private func writeSkipped(_ skipped: [SkippedFile]) throws {
        let path = out.appendingPath("skipped.txt")
        guard !skipped.isEmpty else { try? FileManager.default.removeItem(atPath: path); return }
        try AtomicFile.write(Data(skipped.map { "\($0.path)\t\($0.reason)\n" }.joined().utf8), to: path)
    }

    private func writeRunInfo(_ d: Dataset) throws {
        let info: [String: Any] = [
            "vaepipe_version": VAEPipeVersion.current, "data": d.source, "adapter": d.adapterID,
            "likelihood": likelihood, "binarize": binarize.rawValue, "epochs": epochs, "batch": batch,
            "lr": Double(lr), "latent": latent, "hidden": hidden as Any, "arch": arch as Any, "width": width,
            "size": size, "seed": seed,
            "limit": dataOptions.limit as Any, "train_examples": d.train.count,
            "test_examples": d.test?.count ?? 0, "skipped_files": d.skipped.count,
        ]
        let data = try JSONSerialization.data(withJSONObject: info, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(data, to: out.appendingPath("run.json"))
    }

    private func saveCheckpoint(_ model: VAE, dataset: Dataset) throws {
        let stats = GalleryStats.compute(model, on: dataset.evaluationSet)
        try Checkpoint(model: model, extra: stats.tensors).write(to: out.appendingPath(RunDirectory.checkpointName))
    }

    private func writeGalleries(_ model: VAE, dataset: Dataset, registry: PluginRegistry) throws {
        // Evenly spaced, so a folder sorted by class shows every class, not just the first.
        let inputs = dataset.evaluationSet.evenlySpaced(2000)
        for exporter in registry.exporters {
            let request = ExportRequest(model: model, inputs: inputs, count: exporter.defaultCount, seed: seed)
            try exporter.export(request, to: out.appendingPath(exporter.fileName))
        }
    }
}

extension Binarization: ExpressibleByArgument {}

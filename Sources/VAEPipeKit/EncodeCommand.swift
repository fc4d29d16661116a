import ArgumentParser
import Foundation
import VAEPipeBuiltinPlugins

struct Encode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the posterior means of a dataset's images as a NumPy .npy file (N x latent).",
        discussion: "Rows follow the data: the training split, then the test split (IDX). Labels, when the data has them, go to --labels as int64.")

    @OptionGroup var source: RunAndData
    @Option(help: "Which images: train, test or all (train then test).")
    var split: Split = .all
    @Option(help: ArgumentHelp(".npy file to write.", valueName: "latents.npy"))
    var out: String
    @Option(help: ArgumentHelp("Where labels go when the data has them (default: labels.npy beside --out).", valueName: "labels.npy"))
    var labels: String?

    enum Split: String, ExpressibleByArgument, CaseIterable { case train, test, all }

    func run() throws {
        let (model, data) = try source.load()
        var sets: [ImageSet] = []
        if split != .test { sets.append(data.train) }
        if split != .train, let test = data.test { sets.append(test) }
        if split == .test && data.test == nil {
            throw VAEPipeError.invalidOption("\(source.dataOptions.path) has no test split; use --split train or all")
        }
        var means: [Float] = [], labelValues: [Int64] = []
        var everyLabel = true
        for set in sets {
            means += try Evaluator.posteriorMeans(model, on: set, count: set.count)
            if let l = set.labels { labelValues += l.map(Int64.init) } else { everyLabel = false }
        }
        let n = means.count / model.latent
        try NPYFile.write(means, shape: [n, model.latent], to: out)
        var wrote = "wrote \(out) (\(n) x \(model.latent) posterior means)"
        if everyLabel && labelValues.count == n {
            let path = labels ?? ((out as NSString).deletingLastPathComponent as NSString).appendingPathComponent("labels.npy")
            try NPYFile.write(labelValues, shape: [n], to: path)
            wrote += " and \(path) (\(n) labels)"
        }
        print(wrote)
    }
}

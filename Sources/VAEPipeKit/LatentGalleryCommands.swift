import ArgumentParser
import VAEPipeBuiltinPlugins

// The galleries of the latent space: lines between images, where images land, and what a 2-D
// latent decodes to.

struct Interpolate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw rows between pairs of held-out images: one image, the decoded straight line between their posterior means, the other.")

    @OptionGroup var source: RunAndData
    @Option(help: "Rows: pairs of images (from the test split, or all the data when there is none).")
    var count: Int = Interpolations.defaultCount
    @Option(help: "Decoded images per row, both ends included.")
    var steps: Int = 9
    @OptionGroup var output: PictureOutput

    func validate() throws {
        if !(1...256).contains(count) { throw ValidationError("--count must be between 1 and 256.") }
        if !(2...64).contains(steps) { throw ValidationError("--steps must be between 2 and 64.") }
    }

    func run() throws {
        let (model, data) = try source.load()
        try output.write(Interpolations.id, ExportRequest(model: model, inputs: data.evaluationSet, count: count, steps: steps))
    }
}

struct LatentMapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latent-map",
        abstract: "Draw where held-out images land in the latent space: their posterior means, coloured by label (the top two principal components of a latent larger than 2-D).")

    @OptionGroup var source: RunAndData
    @Option(help: "Images to place (spread evenly over the test split, or all the data when there is none).")
    var count: Int = LatentMap.defaultCount
    @Option(help: "Seed for the order the points are drawn in.")
    var seed: UInt64 = 1
    @Option(help: ArgumentHelp("PNG file to write.", valueName: "file.png"))
    var out: String

    func validate() throws {
        if !(1...100_000).contains(count) { throw ValidationError("--count must be between 1 and 100000.") }
    }

    func run() throws {
        let (model, data) = try source.load()
        var request = ExportRequest(model: model, inputs: data.evaluationSet, count: count, seed: seed)
        request.classNames = data.classNames
        try drawGallery(LatentMap.id, request, to: out)
    }
}

struct ManifoldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifold",
        abstract: "Draw what a 2-D latent decodes to over the whole prior: a square grid of decoder means (no data needed).")

    @Option(name: .customLong("run"), help: ArgumentHelp("Run directory (or checkpoint file) written by `vaepipe train`.", valueName: "dir"))
    var runDirectory: String
    @Option(help: ArgumentHelp("Tiles per side of the grid.", valueName: "n"))
    var count: Int = Manifold.defaultCount
    @OptionGroup var output: PictureOutput

    func validate() throws { if !(2...64).contains(count) { throw ValidationError("--count must be between 2 and 64.") } }

    func run() throws {
        let (model, _) = try RunDirectory.loadModel(runDirectory, registry: VAEPipeKit.registry)
        try output.write(Manifold.id, ExportRequest(model: model, count: count))
    }
}

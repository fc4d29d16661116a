import ArgumentParser
import VAEPipeBuiltinPlugins

/// How galleries draw small images; `train` and the gallery commands share it.
struct TileSizeOptions: ParsableArguments {
    @Flag(name: .customLong("native-size"),
          help: "Draw images at their own size, one pixel per pixel (default: small images are enlarged, nearest-neighbour, to at least 64 pixels a side).")
    var nativeSize = false
}

/// Where a gallery command writes its picture, and at what size.
struct PictureOutput: ParsableArguments {
    @OptionGroup var tiles: TileSizeOptions
    @Option(help: ArgumentHelp("PNG file to write.", valueName: "file.png"))
    var out: String

    /// Draws `exporter`'s gallery of `request` at the size asked for.
    func write(_ exporter: String, _ request: ExportRequest) throws {
        var request = request
        request.nativeSize = tiles.nativeSize
        try drawGallery(exporter, request, to: out)
    }
}

/// Draws `exporter`'s gallery of `request` into `out`, and says where it went.
func drawGallery(_ exporter: String, _ request: ExportRequest, to out: String) throws {
    try VAEPipeKit.registry.exporter(exporter).write(request, to: out)
    print("wrote \(out)")
}

/// A trained run and the data a gallery draws from.
struct RunAndData: ParsableArguments {
    @Option(name: .customLong("run"), help: ArgumentHelp("Run directory (or checkpoint file) written by `vaepipe train`.", valueName: "dir"))
    var runDirectory: String
    @OptionGroup var dataOptions: DataOptions

    func validate() throws { try dataOptions.validateLimit() }

    /// The run's model, holding batches of `capacity` rows, and the data at its image size.
    func load(capacity: Int = 128) throws -> (VAE, Dataset) {
        let (model, _, data) = try RunDirectory.loadModelAndData(runDirectory, dataOptions, capacity: capacity)
        return (model, data)
    }
}

import ArgumentParser
import VAEPipeBuiltinPlugins

@main
struct VAEPipe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vaepipe",
        abstract: "Train variational autoencoders on images and draw what they learned.",
        discussion: """
            Point `vaepipe train` at MNIST-style IDX files or a folder of PNG/JPEG images; it writes a
            run directory with the checkpoint, per-epoch metrics and three PNG galleries.
            """,
        version: VAEPipeVersion.current,
        subcommands: [Train.self, Sample.self, Reconstruct.self, Traverse.self, Evaluate.self, Encode.self, Plugins.self])
}

/// Options every command that reads data shares.
struct DataOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Dataset: an IDX file (raw or .gz), a directory of IDX files, or a folder of PNG/JPEG images.",
                               valueName: "path"))
    var data: String?

    @Option(help: ArgumentHelp("Force a dataset adapter instead of sniffing (see `vaepipe plugins`).", valueName: "id"))
    var adapter: String?

    @Option(help: "Use at most this many training images.")
    var limit: Int?

    /// The dataset path; `validateLimit` has made sure there is one where it is required.
    var path: String { data ?? "" }

    /// `dataRequired: false` only for `train --resume`, which reads it from the run.
    func validateLimit(dataRequired: Bool = true) throws {
        if dataRequired && data == nil { throw ValidationError("Missing expected argument '--data <path>'") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1.") }
    }
}

extension String {
    /// `dir/name`, without doubling the slash.
    func appendingPath(_ name: String) -> String { hasSuffix("/") ? self + name : self + "/" + name }
}

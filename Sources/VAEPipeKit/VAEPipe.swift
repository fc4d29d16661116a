import ArgumentParser
import VAEPipeBuiltinPlugins

struct VAEPipe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vaepipe",
        abstract: "Train variational autoencoders on images and draw what they learned.",
        discussion: """
            Point `vaepipe train` at MNIST-style IDX files or a folder of PNG/JPEG images; it writes a
            run directory with the checkpoint, per-epoch metrics and PNG galleries.

            Plugins: `--plugin PATH.so` (repeatable, before or after the subcommand) loads a run-time
            plugin, as does every .so in the directories of VAEPIPE_PLUGIN_PATH (colon-separated);
            `vaepipe plugins` lists what is loaded and from where.
            """,
        version: VAEPipeVersion.current,
        subcommands: [Train.self, Sample.self, Reconstruct.self, Traverse.self, Interpolate.self, LatentMapCommand.self, ManifoldCommand.self, Evaluate.self, Encode.self, Inspect.self, Plugins.self, Doctor.self])
}

extension String {
    /// `dir/name`, without doubling the slash.
    func appendingPath(_ name: String) -> String { hasSuffix("/") ? self + name : self + "/" + name }
}

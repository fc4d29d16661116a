import Foundation
import VAEPipeBuiltinPlugins

/// RUN_DIR/run.json: every option of the run, the command line that `--resume` replays, and a
/// fingerprint of the data's file list so a resumed run notices when the data changed.
struct RunInfo {
    static let fileName = "run.json"
    var arguments: [String]
    var fingerprint: String
    var started: String
    var resumed: [String]
    /// The plugins the run used (`PluginRegistry.records`).
    var plugins: [[String: String]] = []
    /// The batch the run trained with (a run from before batch defaults depended on the model: nil).
    var batch: Int?
    /// The same for the learning rate.
    var lr: Float?

    static func read(_ dir: String) throws -> RunInfo {
        let path = dir.appendingPath(fileName)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw VAEPipeError.missingPath(dir)
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw VAEPipeError.badFile(path: path, reason: "missing: \(dir) is not a run directory written by `vaepipe train`")
        }
        // Through a FileHandle: Foundation's contents(atPath:) leaks its buffer on an empty file.
        guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.readToEnd() ?? Data() else {
            throw VAEPipeError.badFile(path: path, reason: "cannot be read")
        }
        try? handle.close()
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let arguments = json["arguments"] as? [String] else {
            throw VAEPipeError.badFile(path: path, reason: "not a vaepipe run description (no \"arguments\")")
        }
        return RunInfo(arguments: arguments, fingerprint: json["data_fingerprint"] as? String ?? "",
                       started: json["started"] as? String ?? "", resumed: json["resumed"] as? [String] ?? [],
                       plugins: json["plugins"] as? [[String: String]] ?? [],
                       batch: (json["options"] as? [String: Any])?["batch"] as? Int,
                       lr: ((json["options"] as? [String: Any])?["lr"] as? Double).map { Float($0) })
    }

    /// Writes run.json and returns its contents as (name, value) rows for the report.
    static func write(for command: Train, dataset d: Dataset, config: ModelConfig, aids: TrainingAids, batch: Int, lr: Float,
                      fingerprint: RunFingerprint.Value, plugins: [[String: String]], previous: RunInfo?, to dir: String) throws -> [(name: String, value: String)] {
        let now = ISO8601DateFormatter().string(from: Date())
        let arguments = replacingEpochs(previous?.arguments ?? absolutized(VAEPipeKit.split(Array(CommandLine.arguments.drop { $0 != "train" }.dropFirst())).rest),
                                        with: command.epochs)
        let options: [String: Any] = [
            "likelihood": command.likelihood, "binarize": command.binarize.rawValue, "epochs": command.epochs ?? 10,
            "sigma": config.headOptions.sigma?.description as Any, "blocks": config.blocks as Any,
            "lr_schedule": aids.schedule.rawValue, "warmup": aids.warmup, "ema": Double("\(aids.ema)") ?? 0, "flip": aids.flip,
            "clip_grad": Double("\(aids.clipGrad)") ?? 0, "skip_grad": Double("\(aids.skipGrad)") ?? 0, "time_budget": command.timeBudget?.description as Any,
            "batch": batch, "lr": Double("\(lr)") ?? Double(lr), "latent": config.latent, "hidden": config.hidden,
            "arch": config.architecture, "width": config.width, "size": command.size, "seed": command.seed,
            "limit": command.dataOptions.limit as Any, "adapter": d.adapterID,
            "beta": Double("\(command.beta)") ?? 1, "kl_warmup": command.klWarmup, "free_bits": Double("\(command.freeBits)") ?? 0,
            "objective": command.objective.name, "native_size": command.tiles.nativeSize,
        ]
        let info: [String: Any] = [
            "vaepipe_version": VAEPipeVersion.current, "command": "train", "arguments": arguments,
            "data": absolute(command.dataOptions.path), "data_fingerprint": fingerprint.text,
            "data_files": fingerprint.files, "data_bytes": fingerprint.bytes, "options": options,
            "image_shape": [d.shape.height, d.shape.width, d.shape.channels],
            "train_examples": d.train.count, "test_examples": d.test?.count ?? 0, "skipped_files": d.skipped.count,
            "threads": ProcessInfo.processInfo.activeProcessorCount, "plugins": plugins,
            "started": previous?.started ?? now, "resumed": (previous?.resumed ?? []) + (previous == nil ? [] : [now]),
        ]
        let data = try JSONSerialization.data(withJSONObject: info, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(data, to: dir.appendingPath(fileName))
        return settings(info)
    }

    /// The run's settings as (name, value) rows: the options, then what describes the data and run.
    static func settings(_ json: [String: Any]) -> [(name: String, value: String)] {
        func text(_ v: Any) -> String {
            if let s = v as? String { return s }
            if let d = try? JSONSerialization.data(withJSONObject: v, options: [.sortedKeys, .fragmentsAllowed]) {
                return String(decoding: d, as: UTF8.self)
            }
            return "\(v)"
        }
        var rows: [(name: String, value: String)] = []
        let options = json["options"] as? [String: Any] ?? [:]
        for key in options.keys.sorted() where !(options[key] is NSNull) { rows.append((key, text(options[key]!))) }
        for key in ["data", "data_fingerprint", "data_files", "train_examples", "test_examples", "skipped_files",
                    "image_shape", "threads", "vaepipe_version", "started", "resumed"] {
            if let v = json[key] { rows.append((key, text(v))) }
        }
        rows.append(("command", "vaepipe train " + ((json["arguments"] as? [String]) ?? []).joined(separator: " ")))
        return rows
    }

    /// Paths made absolute, so `--resume` works from any working directory.
    static func absolutized(_ args: [String]) -> [String] {
        var out: [String] = []
        var makeAbsolute = false
        for a in args {
            if makeAbsolute { out.append(absolute(a)); makeAbsolute = false; continue }
            if a == "--data" || a == "--out" { makeAbsolute = true; out.append(a); continue }
            if let eq = a.firstIndex(of: "="), ["--data", "--out"].contains(String(a[..<eq])) {
                out.append(String(a[...eq]) + absolute(String(a[a.index(after: eq)...]))); continue
            }
            out.append(a)
        }
        return out
    }

    static func replacingEpochs(_ args: [String], with epochs: Int?) -> [String] {
        guard let epochs else { return args }
        var out: [String] = [], skip = false
        for a in args {
            if skip { skip = false; continue }
            if a == "--epochs" { skip = true; continue }
            if a.hasPrefix("--epochs=") { continue }
            out.append(a)
        }
        return out + ["--epochs", "\(epochs)"]
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath.appendingPath(path)
    }
}

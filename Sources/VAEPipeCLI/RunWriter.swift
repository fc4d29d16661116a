import Foundation
import VAEPipeBuiltinPlugins

/// Writes a run directory. Every file is replaced atomically (temp file + rename), and the
/// checkpoint is written first, so a run killed at any instant leaves files that agree with
/// some completed checkpoint, and `--resume` rebuilds the rest from it.
final class RunWriter {
    let directory: String
    let checkpointPath: String
    private let console: Console

    init(directory: String, console: Console) throws {
        self.directory = directory
        self.console = console
        checkpointPath = directory.appendingPath(RunDirectory.checkpointName)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw VAEPipeError.io(path: directory, reason: "cannot be created (\(error.localizedDescription))")
        }
        removeStaleTemporaries()
    }

    /// Temp files of a process killed mid-write: never read, only in the way.
    private func removeStaleTemporaries() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.contains(".tmp-") || (name.hasPrefix(".") && name.hasSuffix(".tmp")) {
            try? FileManager.default.removeItem(atPath: directory.appendingPath(name))
        }
    }

    /// The checkpoint to resume from, or nil when the run was stopped before writing one.
    func latestCheckpoint() throws -> Checkpoint? {
        guard FileManager.default.fileExists(atPath: checkpointPath) else { return nil }
        return try Checkpoint.read(from: checkpointPath)
    }

    func saveCheckpoint(_ trainer: Trainer, dataset: Dataset) throws {
        let stats = GalleryStats.compute(trainer.model, on: dataset.evaluationSet)
        try Checkpoint(trainer: trainer, extra: stats.tensors).write(to: checkpointPath)
    }

    /// metrics.jsonl, one line per completed epoch, rebuilt whole from the checkpoint's reports.
    func writeMetrics(_ reports: [EpochReport]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = Data()
        for r in reports { data += try encoder.encode(r) + Data("\n".utf8) }
        try AtomicFile.write(data, to: directory.appendingPath("metrics.jsonl"))
    }

    func writeSkipped(_ skipped: [SkippedFile]) throws {
        let path = directory.appendingPath("skipped.txt")
        guard !skipped.isEmpty else { try? FileManager.default.removeItem(atPath: path); return }
        try AtomicFile.write(Data(skipped.map { "\($0.path)\t\($0.reason)\n" }.joined().utf8), to: path)
    }

    func writeGalleries(_ model: VAE, dataset: Dataset, registry: PluginRegistry, seed: UInt64) throws {
        // Evenly spaced, so a folder sorted by class shows every class, not just the first.
        let inputs = dataset.evaluationSet.evenlySpaced(2000)
        for exporter in registry.exporters {
            let request = ExportRequest(model: model, inputs: inputs, count: exporter.defaultCount, seed: seed)
            try exporter.export(request, to: directory.appendingPath(exporter.fileName))
        }
    }
}

import Foundation
import VAEPipeBuiltinPlugins

/// Writes a run directory. Every file is replaced atomically (temp file + rename), and the
/// checkpoint is written first, so a run killed at any instant leaves files that agree with
/// some completed checkpoint, and `--resume` rebuilds the rest from it.
final class RunWriter {
    let directory: String
    let checkpointPath: String
    /// False on the other ranks of an MPI job: rank 0 alone writes the run directory.
    let writes: Bool
    private let console: Console
    private var tensorBoard: TensorBoardWriter?

    init(directory: String, console: Console, writes: Bool = true) throws {
        self.directory = directory
        self.console = console
        self.writes = writes
        checkpointPath = directory.appendingPath(RunDirectory.checkpointName)
        guard writes else { return }
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

    /// The plugins the run uses, remembered in every checkpoint.
    var plugins: [[String: String]] = []

    func saveCheckpoint(_ trainer: Trainer, stats: GalleryStats.Values) throws {
        guard writes else { return }
        try Checkpoint(trainer: trainer, extra: stats.tensors, plugins: plugins).write(to: checkpointPath)
    }

    /// metrics.jsonl, one line per completed epoch, rebuilt whole from the checkpoint's reports.
    func writeMetrics(_ reports: [EpochReport]) throws {
        guard writes else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = Data()
        for r in reports { data += try encoder.encode(r) + Data("\n".utf8) }
        try AtomicFile.write(data, to: directory.appendingPath("metrics.jsonl"))
    }

    func writeSkipped(_ skipped: [SkippedFile]) throws {
        guard writes else { return }
        let path = directory.appendingPath("skipped.txt")
        guard !skipped.isEmpty else { try? FileManager.default.removeItem(atPath: path); return }
        try AtomicFile.write(Data(skipped.map { "\($0.path)\t\($0.reason)\n" }.joined().utf8), to: path)
    }

    /// One gallery as written: which exporter, its summary, and the picture with its PNG bytes
    /// (nil for a loaded exporter's own format, which the report embeds from its file).
    struct Gallery { var id: String; var summary: String; var fileName: String; var rendered: RenderedGallery? }

    /// The galleries as PNG files, traversals ordered and anchored by this epoch's `stats`;
    /// returned for TensorBoard and the report, so nothing is read back from disk.
    func writeGalleries(_ model: VAE, dataset: Dataset, stats: GalleryStats.Values, registry: PluginRegistry,
                        seed: UInt64, nativeSize: Bool) throws -> [Gallery] {
        guard writes else { return [] }
        // Evenly spaced, so a folder sorted by class shows every class, not just the first.
        let inputs = dataset.evaluationSet.evenlySpaced(2000)
        var written: [Gallery] = []
        for exporter in registry.exporters {
            let file = directory.appendingPath(exporter.fileName)
            // Skipped quietly (the manifold of a 20-D latent), and an earlier run's picture with it.
            if exporter.notApplicable(model.config) != nil { try? FileManager.default.removeItem(atPath: file); continue }
            var request = ExportRequest(model: model, inputs: inputs, count: exporter.defaultCount, seed: seed,
                                        klPerDimension: stats.kl, traversalBase: stats.base)
            request.nativeSize = nativeSize
            request.classNames = dataset.classNames
            let rendered = try exporter.write(request, to: file)
            written.append(Gallery(id: exporter.id, summary: exporter.summary, fileName: exporter.fileName, rendered: rendered))
        }
        return written
    }

    /// RUN_DIR/tb/: a new event file per process; a resumed run's file starts with a session
    /// marker at its first epoch, so TensorBoard drops what a killed run logged past its checkpoint.
    /// A fresh run in a directory that held another one replaces its event files: TensorBoard
    /// would otherwise draw both runs as one.
    func openTensorBoard(resumingAt epoch: Int?) throws {
        guard writes else { return }
        let tb = directory.appendingPath("tb")
        if epoch == nil {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: tb)) ?? [] where name.hasPrefix("events.out.tfevents.") {
                try? FileManager.default.removeItem(atPath: tb.appendingPath(name))
            }
        }
        tensorBoard = try TensorBoardWriter(directory: tb, resumingAt: epoch)
    }

    /// One epoch's scalars and galleries, flushed so a killed run leaves readable events.
    func logTensorBoard(_ r: EpochReport, learningRate: Float, galleries: [Gallery]) throws {
        guard let tb = tensorBoard else { return }
        let step = r.epoch
        tb.scalar("train/loss", r.trainLoss, step: step)
        tb.scalar("train/reconstruction", r.trainReconstruction, step: step)
        tb.scalar("train/kl", r.trainKL, step: step)
        if let t = r.testNegELBO { tb.scalar("test/neg_elbo", t, step: step) }
        if let t = r.testReconstruction { tb.scalar("test/reconstruction", t, step: step) }
        if let t = r.testKL { tb.scalar("test/kl", t, step: step) }
        if let t = r.testBitsPerDim { tb.scalar("test/bits_per_dim", t, step: step) }
        if let a = r.activeUnits { tb.scalar("test/active_units", Double(a), step: step) }
        for (g, kl) in (r.testKLGroups ?? []).enumerated() { tb.scalar(String(format: "test/kl_group_%02d", g), kl, step: step) }
        for (g, a) in (r.activeUnitsGroups ?? []).enumerated() { tb.scalar(String(format: "test/active_units_group_%02d", g), Double(a), step: step) }
        if let p = r.testPSNR { tb.scalar("test/psnr", p, step: step) }
        if let c = r.clippedSteps { tb.scalar("train/clipped_steps", Double(c), step: step) }
        if let c = r.skippedSteps { tb.scalar("train/skipped_steps", Double(c), step: step) }
        if let o = r.trainObjective { tb.scalar("train/objective", o, step: step) }
        tb.scalar("learning_rate", Double(learningRate), step: step)
        tb.scalar("examples_per_second", r.examplesPerSecond, step: step)
        for g in galleries {
            guard let rendered = g.rendered else { continue }
            tb.image("galleries/\(g.id)", png: rendered.png, width: rendered.image.width, height: rendered.image.height,
                     channels: rendered.image.channels, step: step)
        }
        try tb.flush()
    }

    /// A gallery as the report embeds it: the PNG in hand, or a loaded exporter's picture read
    /// back from its file when browsers show that format (GIF animates in place).
    private func reportGallery(_ g: Gallery) -> RunReport.Gallery? {
        if let r = g.rendered { return RunReport.Gallery(name: g.id, caption: g.summary, png: r.png) }
        let types = ["gif": "image/gif", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg"]
        guard let mime = types[(g.fileName as NSString).pathExtension.lowercased()],
              let bytes = FileManager.default.contents(atPath: directory.appendingPath(g.fileName)) else { return nil }
        return RunReport.Gallery(name: g.id, caption: g.summary, png: [UInt8](bytes), mime: mime)
    }

    /// RUN_DIR/index.html: the whole run on one self-contained page.
    func writeReport(_ reports: [EpochReport], settings: [(name: String, value: String)],
                     galleries: [Gallery], stats: GalleryStats.Values) throws {
        guard writes else { return }
        let report = RunReport(title: "vaepipe run: \((directory as NSString).lastPathComponent)", settings: settings,
                               epochs: reports,
                               galleries: galleries.compactMap(reportGallery), klPerDimension: stats.kl.map(Double.init))
        try report.write(to: directory.appendingPath("index.html"))
    }
}

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

    @Option(help: ArgumentHelp("The gaussian head's sigma (default: optimal for images of 32x32 and up, learned for smaller ones): learned (one, shared by every value), optimal (each training batch's best, sigma-VAE), pixel (one learned per value) or a fixed number (1: the tutorials' MSE VAE).", valueName: "sigma"),
            transform: GaussianSigma.parse)
    var sigma: GaussianSigma?

    @Option(help: "Passes over the training data (default 10). With --resume: the new total, to train longer.")
    var epochs: Int?

    @Option(help: "Examples per optimisation step (default: 16 for hvae, 128 for the others).")
    var batch: Int?

    @Option(help: "Adam learning rate (default: 0.002 for hvae, 0.001 for the others).")
    var lr: Float?

    @Option(help: "Latent dimensions (Z) (default: 64 for the resnet and conv on images of 32x32 and up, 20 for smaller ones); hvae: latent channels per pixel of each group (default 8).")
    var latent: Int?

    @Option(help: "Model: mlp, conv, resnet or hvae (a top-down hierarchical VAE with latent groups at 4x4, 8x8 and 16x16) (default: hvae for images of 32x32 and up, resnet there with --objective iwae or --samples, mlp for smaller ones such as 28x28 IDX).")
    var arch: String?

    @Option(help: "resnet, hvae: residual blocks at each resolution, in the encoder and in the decoder (default \(ModelConfig.defaultBlocks); hvae: also the top-down blocks, each with its latent group, per resolution up to 16x16, at least one).")
    var blocks: Int?

    @Option(name: .customLong("time-budget"), help: ArgumentHelp("Train for this long (90s, 10m, 1h30m): the run stops at a step boundary, writes its checkpoint and galleries and says how far it got; without --epochs, the pace so far sets, after every epoch, how many epochs the learning-rate schedule spans. `--resume` goes on for another budget.", valueName: "duration"))
    var timeBudget: TimeBudget?

    @Option(name: .customLong("lr-schedule"), help: "Learning rate over the run: constant, or cosine (falling to 0 at the last epoch; under a time budget, over the epochs it plans). Default: cosine for images of 32x32 and up, constant for smaller ones.")
    var lrSchedule: TrainingAids.Schedule?

    @Option(help: ArgumentHelp("Raise the learning rate linearly over the first STEPS steps (default: 100 for images of 32x32 and up, 0 for smaller ones).", valueName: "steps"))
    var warmup: Int?

    @Flag(inversion: .prefixedNo, help: "Flip each training image left-right with probability 1/2 every time it is drawn, from the seed (default: on for images of 32x32 and up).")
    var flip: Bool?

    @Option(help: ArgumentHelp("Keep an exponential moving average of the weights with this decay (e.g. 0.999) and use it for test figures, galleries, evaluate and sampling; 0 for none (default: 0.999 for images of 32x32 and up, 0 for smaller ones).", valueName: "decay"))
    var ema: Float?

    @Option(name: .customLong("clip-grad"), help: ArgumentHelp("Scale down any step's gradient whose L2 norm is over NORM to NORM; 0 for no limit.", valueName: "norm"))
    var clipGrad: Float = 0

    @Option(name: .customLong("skip-grad"), help: ArgumentHelp("Skip any step whose gradient's L2 norm is over NORM (or not finite): no update, as VDVAE guards its hierarchies; counted as skipped_steps in metrics.jsonl; 0 to take every step.", valueName: "norm"))
    var skipGrad: Float = 0

    @Option(help: "Units of the dense hidden layer (default: 400 for mlp, 256 for conv).")
    var hidden: Int?

    @Option(help: "conv: channels of the first convolution, doubling at each stride-2 step.")
    var width: Int = 32

    /// `--size` as run.json records it; the option itself is one of the shared `DataOptions`.
    var size: String { dataOptions.size?.description ?? "32" }

    @Option(help: "Weight of the KL term (beta-VAE, Higgins et al. 2017); 1 is the ELBO.")
    var beta: Float = 1

    @Option(name: .customLong("kl-warmup"), help: ArgumentHelp("Raise the KL weight linearly from 0 to --beta over this many epochs.", valueName: "epochs"))
    var klWarmup: Int = 0

    @Option(name: .customLong("free-bits"), help: ArgumentHelp("Free bits (Kingma et al. 2016): each latent dimension's batch-mean KL (hvae: each latent group's) counts as at least this many nats, so a dimension under it is not pulled to the prior.", valueName: "nats"))
    var freeBits: Float = 0

    @Option(name: .customLong("objective"), help: "The bound trained: elbo, or iwae (the importance-weighted bound of Burda et al. 2015, tighter with more --samples).")
    var bound: Objective.Bound = .elbo

    @Option(help: ArgumentHelp("Posterior samples per example in each step (the ELBO averages over them; iwae weighs them).", valueName: "K"))
    var samples: Int = 1

    @Option(name: .customLong("gradient-parts"), help: ArgumentHelp("Sum each batch's gradients in this many parts added in a fixed tree (1, 2, 4, 8 or 16; default: 1 alone, the number of ranks under mpirun): runs on any power of two of processes that divides it get the same weights bit for bit, so 8 lets a run move between 1, 2, 4 and 8.", valueName: "P"))
    var gradientParts: Int?

    var objective: Objective {
        Objective(bound: bound, samples: samples, beta: beta, klWarmupEpochs: klWarmup, freeBits: freeBits)
    }

    @Option(help: "Random seed: initialisation, shuffling and sampling noise all derive from it.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Run directory to write (created if needed).", valueName: "dir"))
    var out: String?

    @Option(help: ArgumentHelp("Continue an interrupted run from its last checkpoint, with its own settings (only --epochs, --quiet and --log-format may be given too).", valueName: "dir"))
    var resume: String?

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    @Option(help: "text: a progress bar on a terminal, a line per epoch otherwise; json: one JSON object per line.")
    var logFormat: LogFormat = .text

    @OptionGroup var tiles: TileSizeOptions

    /// Options `--resume` accepts beside itself; everything else comes from the run.
    static let resumeOptions: Set<String> = ["--resume", "--epochs", "--quiet", "--log-format", "--time-budget"]

    func validate() throws {
        if resume != nil {
            try dataOptions.validateLimit(dataRequired: false)
        } else {
            try dataOptions.validateLimit()
            if out == nil { throw ValidationError("Missing expected argument '--out <dir>'") }
        }
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1.") }
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1.") }
        if let lr, !(lr > 0 && lr.isFinite) { throw ValidationError("--lr must be a positive number.") }
        if let latent, latent < 1 { throw ValidationError("--latent must be at least 1.") }
        if let blocks, !(0...16).contains(blocks) { throw ValidationError("--blocks must be 0 to 16.") }
        // The flags alone (the data's defaults, not known yet, are valid).
        if let problem = aids(TrainDefaults(shape: ImageShape(height: 1, width: 1, channels: 1), arch: arch)).problem {
            throw ValidationError(problem + ".")
        }
        if blocks != nil && arch != nil && arch != "resnet" && arch != "hvae" { throw ValidationError("--blocks is for --arch resnet and hvae.") }
        if arch == "hvae" && (bound == .iwae || samples > 1) {
            throw ValidationError("--arch hvae trains on the one-sample ELBO: drop --objective iwae and --samples (evaluate --iwae K measures its bound).")
        }
        if let hidden, hidden < 1 { throw ValidationError("--hidden must be at least 1.") }
        if width < 1 { throw ValidationError("--width must be at least 1.") }
        if !(beta >= 0 && beta.isFinite) { throw ValidationError("--beta must be a number of at least 0.") }
        if klWarmup < 0 { throw ValidationError("--kl-warmup must be at least 0.") }
        if !(freeBits >= 0 && freeBits.isFinite) { throw ValidationError("--free-bits must be a number of at least 0.") }
        if let problem = objective.problem { throw ValidationError(problem + ".") }
        if let p = gradientParts, !(1...BatchParts.maximum).contains(p) || p & (p - 1) != 0 {
            throw ValidationError("--gradient-parts must be a power of two from 1 to \(BatchParts.maximum), not \(p).")
        }
        if let arch, !ModelConfig.architectures.contains(arch) {
            throw ValidationError("--arch must be one of: \(ModelConfig.architectures.joined(separator: ", ")).")
        }
    }

    func run() throws {
        var command = self
        if let dir = resume { command = try Train.resuming(dir, given: self) }
        // Under mpirun with several ranks: one rank of a data-parallel job (see MPIJob).
        guard let job = try MPIJob.start() else { try command.train(job: nil); return }
        if let threads = MPIJob.threadsPerRank() { Parallel.setThreads(threads) }
        do {
            try command.train(job: job)
        } catch let stop as ExitCode {
            job.finish()  // every rank stopped at the same step (Ctrl-C, SIGTERM)
            throw stop
        } catch {
            job.fail(error)
        }
        job.finish()
    }

    /// The command a run directory was started with (run.json), with what this invocation may
    /// change: the epoch total and how progress is shown. The run stays in `dir`.
    static func resuming(_ dir: String, given: Train) throws -> Train {
        let given_ = VAEPipeKit.split(Array(CommandLine.arguments.drop { $0 != "train" }.dropFirst())).rest
        for arg in given_ where arg.hasPrefix("--") {
            let name = String(arg.split(separator: "=", maxSplits: 1)[0])
            if !resumeOptions.contains(name) && name != "--help" {
                throw ValidationError("--resume continues a run with the settings it started with; \(name) cannot be changed (only --epochs, --time-budget, --quiet, --log-format).")
            }
        }
        let info = try RunInfo.read(dir)
        var command: Train
        do { command = try Train.parse(info.arguments) } catch {
            throw VAEPipeError.badFile(path: dir.appendingPath(RunInfo.fileName), reason: "its arguments no longer parse (\(error))")
        }
        command.out = dir
        command.resume = dir
        command.epochs = given.epochs ?? command.epochs
        command.quiet = given.quiet
        command.logFormat = given.logFormat
        command.timeBudget = given.timeBudget ?? command.timeBudget
        // The batch it trained with, whatever the default is now.
        command.batch = command.batch ?? info.batch
        command.lr = command.lr ?? info.lr
        return command
    }

    private func train(job: MPIJob?) throws {
        let began = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9 }
        let out = self.out!
        // Under a time budget without --epochs, the run plans its epochs after the first one.
        var epochs = self.epochs ?? (timeBudget == nil ? 10 : Int.max)
        let console = Console(format: logFormat, quiet: quiet || (job?.rank ?? 0) != 0, progressBar: job == nil)
        let registry = VAEPipeKit.registry
        // A resumed run's head may come from a plugin: if it is missing, say which file it was.
        // A resumed run goes on with the plugins it began with.
        let recorded = resume == nil ? [] : ((try? RunInfo.read(out))?.plugins ?? [])
        if let missing = registry.missing(recorded) { throw missing }
        let headPlugin = try registry.lookup(recorded: recorded) { try $0.head(likelihood) }
        // Made here to refuse bad options before any data is read, and again once the data's
        // values per example are known (--sigma pixel and the logistic head have a parameter each).
        _ = try headPlugin.make(HeadOptions(binarize: binarize, sigma: sigma, dimension: 1))

        var datasetOptions = dataOptions.datasetOptions()
        // A rank decodes only its share of the images, every epoch, unless told to cache them all.
        if job != nil && !CommandLine.arguments.contains(where: { $0 == "--cache" || $0.hasPrefix("--cache=") }) {
            datasetOptions.cache = .none
        }
        let dataset = try registry.loadDataset(path: dataOptions.path, adapterID: dataOptions.adapter, options: datasetOptions)
        console.info(describe(dataset, out: out), event: "data",
                     ["train_examples": dataset.train.count, "test_examples": dataset.test?.count ?? 0,
                      "shape": "\(dataset.shape)", "skipped_files": dataset.skipped.count])

        let run = try RunWriter(directory: out, console: console, writes: (job?.rank ?? 0) == 0)
        run.plugins = registry.records(adapter: dataset.adapterID, head: headPlugin.id)
        let fingerprint = RunFingerprint.compute(dataset)
        var previous: RunInfo?
        var checkpoint: Checkpoint?
        if resume != nil {
            previous = try RunInfo.read(out)
            if let p = previous, p.fingerprint != fingerprint.text {
                console.info("warning: the files under \(dataOptions.path) changed since the run started (\(p.fingerprint) -> \(fingerprint.text)); resuming anyway",
                             event: "warning")
            }
            checkpoint = try run.latestCheckpoint()
        }

        // A resumed run keeps what it began with, whatever the defaults are now.
        let defaults = TrainDefaults(shape: dataset.shape, arch: arch, oneSampleELBO: bound == .elbo && samples == 1)
        let defaultSigma = checkpoint.map { $0.config.headOptions.sigma } ?? (headPlugin.takesSigma ? defaults.sigma : nil)
        let head = try headPlugin.make(HeadOptions(binarize: binarize, sigma: sigma ?? defaultSigma, dimension: dataset.shape.count))
        let architecture = defaults.architecture
        let batch = self.batch ?? TrainDefaults.batch(checkpoint?.config.architecture ?? architecture)
        let lr = self.lr ?? TrainDefaults.learningRate(checkpoint?.config.architecture ?? architecture)
        let config = checkpoint?.config ?? ModelConfig(
            architecture: architecture, shape: dataset.shape, hidden: hidden ?? (architecture == "conv" ? 256 : 400),
            latent: latent ?? defaults.latent, width: width, blocks: ["resnet", "hvae"].contains(architecture) ? blocks ?? ModelConfig.defaultBlocks : nil,
            head: headPlugin.id, headOptions: head.options)
        if let problem = config.problem { throw VAEPipeError.invalidOption(problem) }
        guard config.shape == dataset.shape else {
            throw VAEPipeError.invalidOption("\(dataOptions.path): images are \(dataset.shape) but the run being resumed was trained on \(config.shape)")
        }
        let model = VAE(config: config, head: head, capacity: job?.shard.largestShare(of: batch) ?? batch,
                        samples: samples, importanceWeighted: bound == .iwae)
        model.initialize(seed: seed)
        var options = TrainOptions()
        options.batchSize = batch; options.learningRate = lr; options.seed = seed; options.objective = objective
        options.gradientParts = gradientParts ?? job.map { BatchParts.dataParallel(ranks: $0.size) } ?? 1
        options.aids = try checkpoint.map { try Self.recordedAids($0, path: run.checkpointPath) } ?? aids(defaults)
        options.horizonEpochs = epochs == Int.max ? nil : epochs
        options.measurePSNR = dataset.adapterID != "idx"
        let trainer = Trainer(model: model, train: dataset.train, test: dataset.test, options: options, collective: job)
        if let checkpoint { try trainer.restore(from: checkpoint, path: run.checkpointPath) }
        if let planned = trainer.plannedEpochs {
            if self.epochs == nil { epochs = planned } else if self.epochs != planned {
                // --resume --epochs N after a budget's plan: the cosine, from where it began, now ends at epoch N.
                trainer.planSchedule(epochs: self.epochs!)
            }
        }
        let parts = trainer.state.gradientParts

        try run.writeSkipped(dataset.skipped)
        let settings = run.writes ? try RunInfo.write(for: self, dataset: dataset, config: config, aids: options.aids, batch: batch, lr: lr, fingerprint: fingerprint,
                                                      plugins: run.plugins, previous: previous, to: out) : []
        let order = parts == 1 ? "" : job.map { BatchParts.aligns(parts, processes: $0.size) } == false
            ? ", gradients in \(parts) parts (\(job!.size) ranks do not divide them: summed in MPI's order)"
            : ", gradients summed in \(parts) parts (the same weights on any power of two of processes dividing \(parts))"
        let mpi = (job.map { "; MPI: \($0.size) ranks (\(MPIJob.libraryVersion)), each a share of every batch of \(batch)" } ?? "") + order
        console.info("model: \(describe(config)), \(model.parameters.count) parameters, head \(headPlugin.id); compute: \(Backend.summary)\(mpi)",
                     event: "model", ["architecture": config.architecture, "parameters": model.parameters.count,
                                      "isa": Backend.isa.name, "threads": Backend.threads, "ranks": job?.size ?? 1])
        if let warning = Backend.warning { console.info("warning: \(warning)", event: "warning", ["message": warning]) }

        /// The checkpoint, then (for an epoch's `report`, or a budget's stop mid-epoch) metrics and
        /// galleries, all from the averaged weights. One pass over the evaluation images serves the
        /// checkpoint and the traversal gallery.
        func writeRun(_ report: EpochReport?, galleries: Bool = true) throws {
            guard run.writes else { return }
            try withResumeHint(run) { try trainer.withAveragedWeights {
                let stats = try GalleryStats.compute(model, on: dataset.evaluationSet)
                try run.saveCheckpoint(trainer, stats: stats)
                guard galleries else { return }
                try run.writeMetrics(trainer.state.reports)
                try run.writeSkipped(dataset.skippedSoFar)
                let pictures = try run.writeGalleries(model, dataset: dataset, stats: stats, registry: registry, seed: seed,
                                                      nativeSize: tiles.nativeSize)
                if let report { try run.logTensorBoard(report, learningRate: report.learningRate.map { Float($0) } ?? lr, galleries: pictures) }
                try run.writeReport(trainer.state.reports, settings: settings, galleries: pictures, stats: stats)
            } }
        }
        if !options.aids.isEmpty { console.info("training: " + describe(options.aids, lr: lr) + (timeBudget.map { ", time budget \($0)" } ?? ""), event: "aids") }
        else if let budget = timeBudget { console.info("training: time budget \(budget)", event: "aids") }
        // From here on the directory always holds a checkpoint to resume from, even if the
        // process is killed before the first epoch ends.
        if checkpoint == nil { try writeRun(nil, galleries: false) }
        let start = trainer.state
        if start.epoch > epochs {
            console.info("\(out) has already trained \(start.epoch - 1) epochs\(self.epochs == nil && timeBudget != nil ? " (all its time budget planned)" : ""); pass a larger --epochs to train longer",
                         event: "done")
            return
        }
        if checkpoint?.metadata[Checkpoint.trainingStateKey] != nil {
            console.info("resuming \(out) at epoch \(start.epoch), step \(start.step)/\(trainer.stepsPerEpoch)",
                         event: "resume", ["epoch": start.epoch, "step": start.step])
        }

        try run.openTensorBoard(resumingAt: checkpoint == nil ? nil : start.epoch)
        StopSignal.install()
        var interrupted = false, outOfTime = false
        let budget = timeBudget?.seconds ?? .infinity
        let replanning = self.epochs == nil && timeBudget != nil
        let loopBegan = elapsed()
        var epochsHere = 0, lastWrites = 0.0
        while trainer.state.epoch <= epochs {
            let report: EpochReport?
            do {
                report = try trainer.continueEpoch(shouldStop: { StopSignal.pending != 0 || elapsed() >= budget },
                                                   onStep: { console.step($0, of: epochs == Int.max ? 0 : epochs) })
            } catch VAEPipeError.trainingDiverged(let e, let s, _) {
                let kept = FileManager.default.fileExists(atPath: run.checkpointPath) ? run.checkpointPath : nil
                throw VAEPipeError.trainingDiverged(epoch: e, step: s, lastGood: kept)
            }
            guard let report else {
                if StopSignal.pending != 0 { interrupted = true } else { outOfTime = true }
                break
            }
            if replanning {
                // The budget's plan, re-made after every epoch from the pace so far (evaluation and
                // writing included; this epoch's writing not done yet, so estimated from the last
                // one's), the same on every rank (rank 0's). Planning again lets a slow first
                // epoch (a busy core, a cold cache) not cut the run short.
                epochsHere += 1
                let pace = (elapsed() - loopBegan + lastWrites) / Double(epochsHere)
                let left = budget - elapsed() - lastWrites
                let planned = try trainer.agreeOnFirstRank(report.epoch + max(0, Int(left / pace)))
                trainer.planSchedule(epochs: planned)
                if planned != epochs {
                    console.info("time budget \(timeBudget!): \(String(format: "%.1f", pace))s an epoch, planning \(planned) epochs",
                                 event: "plan", ["epochs": planned])
                }
                epochs = planned
            }
            console.epoch(report, of: epochs, objective: objective)
            let writesBegan = elapsed()
            defer { lastWrites = elapsed() - writesBegan }
            try writeRun(report)
            // Between epochs too, every rank stops if any was signalled or the budget is spent.
            if try trainer.agree(StopSignal.pending != 0) { interrupted = true; break }
            if trainer.state.epoch <= epochs, try trainer.agree(elapsed() >= budget) { outOfTime = true; break }
        }
        if outOfTime {
            let s = trainer.state, done = Double(s.epoch - 1) + Double(s.step) / Double(trainer.stepsPerEpoch)
            // At an epoch's end the epoch's writes have just saved all of it.
            if s.step > 0 { try writeRun(nil) }
            let at = s.step > 0 ? "epoch \(s.epoch), step \(s.step)/\(trainer.stepsPerEpoch)" : "the end of epoch \(s.epoch - 1)"
            console.info("time budget \(timeBudget!) reached at \(at) (\(String(format: "%.2f", done)) epochs in all): checkpoint and galleries written; go on with: vaepipe train --resume \(out)",
                         event: "budget", ["epoch": s.epoch, "step": s.step, "epochs": done])
        }
        if interrupted {
            // Stopped by a signal (under MPI: some rank's, which every rank acted on at the same step).
            let s = trainer.state
            if s.step > 0 { try writeRun(nil, galleries: false) }
            console.info("interrupted at epoch \(s.epoch), step \(s.step)/\(trainer.stepsPerEpoch): checkpoint saved in \(run.checkpointPath); continue with: vaepipe train --resume \(out)",
                         event: "interrupted", ["epoch": s.epoch, "step": s.step])
            throw ExitCode(StopSignal.pending != 0 ? StopSignal.exitCode : 128 + SIGTERM)
        }
        let reports = trainer.state.reports
        if !reports.isEmpty { console.info(timingSummary(reports, examplesPerEpoch: dataset.train.count), event: "summary") }
        if let job, job.gradientCalls > 0 {
            let how = trainer.shardsOptimizer ? "gradient reduce-scatters and weight all-gathers" : "gradient allreduces"
            console.info(String(format: "MPI: %d \(how) of %d floats, %.2f ms each on rank 0 (its wait for the other ranks, and the all-gathers of Adam's moments once an epoch, included; in the backward and optimizer times above)",
                                job.gradientCalls, model.parameters.count, 1000 * job.gradientSeconds / Double(job.gradientCalls)),
                         event: "mpi", ["exchanges": job.gradientCalls, "seconds": job.gradientSeconds])
        }
        let skipped = dataset.skippedSoFar.count
        if skipped > 0 {
            console.info("skipped \(skipped) unreadable file(s) in all, listed in \(out.appendingPath("skipped.txt"))",
                         event: "skipped", ["skipped_files": skipped])
        }
        console.info("wrote \(out): model.safetensors, run.json, metrics.jsonl, index.html, tb/, " + registry.exporters.filter { $0.notApplicable(config) == nil }.map { $0.fileName }.joined(separator: ", "),
                     event: "done", ["run": out])
    }

    /// A write that fails mid-run (a full disk, a directory made read-only) stops the run; the
    /// checkpoint is replaced atomically, so the last one written is intact, and the message says
    /// so and how to go on.
    private func withResumeHint(_ run: RunWriter, _ body: () throws -> Void) throws {
        do { try body() } catch VAEPipeError.io(let path, let reason) {
            let kept = FileManager.default.fileExists(atPath: run.checkpointPath)
                ? "the last checkpoint written is intact in \(run.checkpointPath); once the disk has room, continue with: vaepipe train --resume \(run.directory)"
                : "no checkpoint had been written yet"
            throw VAEPipeError.io(path: path, reason: "\(reason); \(kept)")
        }
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
        let c = Backend.contention
        if Double(c.alone) >= 0.05 * Double(c.calls) {
            s += String(format: "; %.0f%% of parallel calls ran on one thread (another process was holding up a core)",
                        100 * Double(c.alone) / Double(max(c.calls, 1)))
        }
        return s
    }

    /// The training aids a checkpoint was trained with (none in one from before them).
    static func recordedAids(_ c: Checkpoint, path: String) throws -> TrainingAids {
        guard let text = c.metadata[Checkpoint.trainingAidsKey] else { return TrainingAids() }
        guard let a = try? JSONDecoder().decode(TrainingAids.self, from: Data(text.utf8)), a.problem == nil else {
            throw VAEPipeError.badCheckpoint(path: path, reason: "its training aids are unreadable or impossible: \(text.prefix(200))")
        }
        return a
    }

    /// The training aids from the flags, or the data's defaults where a flag is not given.
    private func aids(_ d: TrainDefaults) -> TrainingAids {
        var a = TrainingAids()
        a.schedule = lrSchedule ?? d.aids.schedule
        a.warmup = warmup ?? d.aids.warmup
        a.ema = ema ?? d.aids.ema
        a.flip = flip ?? d.aids.flip
        a.clipGrad = clipGrad
        a.skipGrad = skipGrad
        return a
    }

    private func describe(_ a: TrainingAids, lr: Float) -> String {
        var parts: [String] = []
        if a.schedule != .constant || a.warmup > 0 { parts.append("lr \(lr) \(a.schedule.rawValue)" + (a.warmup > 0 ? " after \(a.warmup) warm-up steps" : "")) }
        if a.ema > 0 { parts.append("weights averaged (ema \(a.ema))") }
        if a.flip { parts.append("random flips") }
        if a.clipGrad > 0 { parts.append("gradient norm clipped at \(a.clipGrad)") }
        if a.skipGrad > 0 { parts.append("steps skipped over gradient norm \(a.skipGrad)") }
        return parts.joined(separator: ", ")
    }

    private func describe(_ c: ModelConfig) -> String {
        if c.architecture == "hvae" {
            let groups = VAE.groupSides(c).map { "\($0)x\($0)" }.joined(separator: " ")
            return "hvae \(c.paddedSide)x\(c.paddedSide), width \(c.width), \(c.blocks ?? ModelConfig.defaultBlocks) block(s) per resolution,"
                + " latent groups at \(groups) with \(c.latent) channels each"
        }
        guard c.architecture == "conv" || c.architecture == "resnet" else { return "mlp \(c.inputSize)-\(c.hidden)-\(c.latent)" }
        var channels: [Int] = [c.shape.channels], w = c.width, s = c.paddedSide
        while s > 4 { channels.append(w); w *= 2; s /= 2 }
        let ladder = "\(c.architecture) \(c.paddedSide)x\(c.paddedSide) " + channels.map(String.init).joined(separator: "-")
        return ladder + (c.architecture == "resnet" ? ", \(c.blocks ?? ModelConfig.defaultBlocks) block(s) per resolution" : " -> \(c.hidden)")
            + " -> \(c.latent)"
    }

    private func describe(_ d: Dataset, out: String) -> String {
        var s = "data: \(d.source) (\(d.adapterID)): \(d.train.count) training images"
        if let t = d.test { s += ", \(t.count) test images" }
        s += ", \(d.shape)"
        if !d.classNames.isEmpty { s += ", \(d.classNames.count) classes" }
        for note in d.notes { s += "\n" + note }
        if !d.skipped.isEmpty {
            s += "\nskipped \(d.skipped.count) unreadable file(s), listed in \(out.appendingPath("skipped.txt")):"
            for f in d.skipped.prefix(3) { s += "\n  \(f.path): \(f.reason)" }
            if d.skipped.count > 3 { s += "\n  ..." }
        }
        return s
    }
}

extension Binarization: ExpressibleByArgument {}
extension Objective.Bound: ExpressibleByArgument {}

extension GaussianSigma {
    static func parse(_ text: String) throws -> GaussianSigma {
        guard let sigma = GaussianSigma(text), sigma.problem == nil else {
            throw ValidationError("expected learned, optimal, pixel or a fixed sigma of at least \(GaussianSigma.floor).")
        }
        return sigma
    }
}

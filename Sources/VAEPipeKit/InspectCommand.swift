import ArgumentParser
import Foundation
import VAEPipeBuiltinPlugins

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what vaepipe sees in a dataset: formats, colour types, sizes, labels and the files it would skip, without training.",
        discussion: "Image folders: every header is read, then every image is decoded once, as training would "
            + "(streamed on --workers threads into Float32 batches of --size, whatever --cache says), so truncated "
            + "or corrupt image data shows up too, and the time that takes is printed. --headers-only stops after the headers.")

    @OptionGroup var dataOptions: DataOptions

    @Flag(help: "Read headers only: fast, but broken image data past a good header goes unnoticed.")
    var headersOnly = false

    func validate() throws { try dataOptions.validateLimit() }

    func run() throws {
        let registry = VAEPipeKit.registry
        var options = dataOptions.datasetOptions()
        options.cache = .none   // one pass: nothing to keep
        let t0 = DispatchTime.now().uptimeNanoseconds
        let dataset = try registry.loadDataset(path: dataOptions.path, adapterID: dataOptions.adapter, options: options)
        let scanSeconds = seconds(since: t0)

        var lines = ["data: \(dataset.source) (\(dataset.adapterID))"]
        var count = "images: \(dataset.train.count)" + (dataset.test.map { " training, \($0.count) test" } ?? "")
        if dataset.adapterID == ImageFolderAdapter.id { count += " with readable headers" }
        if !dataset.skipped.isEmpty { count += ", \(dataset.skipped.count) file(s) without" }
        lines.append(count)
        lines += dataset.inventory.map { "\($0.label): \($0.text)" }
        lines.append("labels: " + describeLabels(dataset))
        var shape = "as training data: \(dataset.shape)"
        if dataset.adapterID == ImageFolderAdapter.id {
            shape += " (--resize \(options.resize.rawValue), --background \(options.background))"
        }
        lines.append(shape)
        print(lines.joined(separator: "\n"))

        // Both splits: a folder's held-out images are read like the others.
        let sets = [dataset.train] + (dataset.test.map { [$0] } ?? [])
        if !headersOnly {
            print(try decodePass(sets, scanSeconds: scanSeconds))
        }
        let skipped = dataset.skippedSoFar
        let usable = sets.reduce(0) { $0 + $1.count } - (skipped.count - dataset.skipped.count)
        print("usable: \(usable) images" + (headersOnly ? " by their headers" : ""))
        guard !skipped.isEmpty else { return print("would skip: none") }
        print("would skip \(skipped.count) file(s):")
        for f in skipped { print("  \(f.path): \(f.reason)") }
    }

    /// Every image through the training data path once: decoded, resized and normalised into
    /// Float32 batches by the batcher's workers. Its rate is what `Benchmarks/decode_bench.sh` reports.
    func decodePass(_ sets: [ImageSet], scanSeconds: Double) throws -> String {
        let t0 = DispatchTime.now().uptimeNanoseconds
        var images = 0, workers = 1
        for set in sets {
            let batcher = Batcher(set: set, batchSize: 128, seed: 0, shuffle: false)
            workers = batcher.workers
            let epoch = batcher.start(epoch: 0)
            defer { epoch.finish() }
            while let (_, n) = try epoch.next() { images += n }
        }
        let decodeSeconds = seconds(since: t0)
        return String(format: "decoded %d images to %@ Float32 in %.3fs on %d worker(s): %.0f images/s; with the header pass (%.3fs): %.0f images/s",
                      images, "\(sets[0].shape)", decodeSeconds, workers, Double(images) / max(decodeSeconds, 1e-9),
                      scanSeconds, Double(images) / max(decodeSeconds + scanSeconds, 1e-9))
    }

    func describeLabels(_ d: Dataset) -> String {
        guard let labels = d.train.labels else { return "none (labels come from first-level sub-folders holding every image)" }
        guard !d.classNames.isEmpty else { return "\(Set(labels).count) classes (from label files)" }
        var counts = [Int](repeating: 0, count: d.classNames.count)
        for l in labels where l < counts.count { counts[l] += 1 }
        return "\(d.classNames.count) classes from sub-folders: "
            + zip(d.classNames, counts).map { "\($0) \($1)" }.joined(separator: ", ")
    }

    private func seconds(since t0: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 }
}

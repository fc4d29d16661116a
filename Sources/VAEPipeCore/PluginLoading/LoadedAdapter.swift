import CVAEPipePlugin
import Foundation

/// A dataset adapter from a plugin's table: it describes the data, vaepipe allocates the
/// pixels (after checking the sizes it was told) and the plugin fills them.
enum LoadedAdapter {
    static func plugin(_ d: vp_adapter, origin: PluginOrigin, fail: (String) -> VAEPipeError) throws -> AdapterPlugin {
        let id = try PluginLoader.id(d.id, "adapter id", fail)
        let summary = try PluginLoader.text(d.summary, "summary of adapter '\(id)'", fail)
        try PluginLoader.functions([("accepts", PluginLoader.address(d.accepts), true), ("open", PluginLoader.address(d.open), true),
                                    ("read", PluginLoader.address(d.read), true), ("close", PluginLoader.address(d.close), true)],
                                   of: "adapter '\(id)'", fail)
        guard let accepts = d.accepts else { throw fail("adapter '\(id)' has no accepts function (NULL)") }
        let plugin = origin.path ?? id
        return AdapterPlugin(id: id, summary: summary, origin: origin,
                             accepts: { path in path.withCString { accepts($0) } == 1 },
                             load: { path, options in try load(d, id: id, plugin: plugin, path: path, options: options) })
    }

    private static func load(_ d: vp_adapter, id: String, plugin: String, path: String, options: DatasetOptions) throws -> Dataset {
        var request = vp_dataset_request(limit: Int64(options.limit ?? 0), height: Int64(options.height),
                                         width: Int64(options.width), channels: Int64(options.channels ?? 0))
        var handle: UnsafeMutableRawPointer?
        var info = vp_dataset_info()
        if let reason = failureMessage({ d.open(path, &request, &handle, &info, $0, $1) }) {
            throw VAEPipeError.pluginReported("\(reason) (adapter '\(id)' of \(plugin))")
        }
        defer { d.close(handle) }
        let shape = ImageShape(height: Int(info.height), width: Int(info.width), channels: Int(info.channels))
        let lie = { (what: String) in VAEPipeError.badPlugin(path: plugin, reason: "adapter '\(id)' reading \(path): \(what)") }
        guard (1...ModelConfig.maxSide).contains(shape.height), (1...ModelConfig.maxSide).contains(shape.width),
              [1, 3, 4].contains(shape.channels) else { throw lie("it describes images of \(shape) (sides 1 to \(ModelConfig.maxSide), 1, 3 or 4 channels)") }
        guard info.train_count > 0, info.test_count >= 0 else { throw lie("it describes \(info.train_count) training and \(info.test_count) test images") }
        let (total, overflow) = (info.train_count + info.test_count).multipliedReportingOverflow(by: Int64(shape.count))
        guard !overflow, total <= options.cacheLimit else {
            throw VAEPipeError.badFile(path: path, reason: "\(info.train_count + info.test_count) images of \(shape) need more memory than --cache-limit allows (\(options.cacheLimit) bytes)")
        }
        func split(_ which: Int32, _ count: Int) throws -> ImageSet {
            var pixels = [UInt8](repeating: 0, count: count * shape.count)
            var labels = [Int32](repeating: -1, count: info.has_labels == 1 ? count : 0)
            let reason = pixels.withUnsafeMutableBufferPointer { p in
                labels.withUnsafeMutableBufferPointer { l in
                    failureMessage { d.read(handle, which, p.baseAddress, l.baseAddress, $0, $1) }
                }
            }
            if let reason { throw VAEPipeError.pluginReported("\(reason) (adapter '\(id)' of \(plugin))") }
            return ImageSet(shape: shape, pixels: pixels, labels: info.has_labels == 1 ? labels.map(Int.init) : nil)
        }
        let train = try split(0, Int(info.train_count)).prefix(options.limit)
        let test = info.test_count > 0 ? try split(1, Int(info.test_count)) : nil
        var dataset = Dataset(source: path, adapterID: id, train: train, test: test)
        dataset.files = [path]
        return dataset
    }
}

import CVAEPipePlugin
import Foundation

/// An exporter from a plugin's table: it writes its own file format to a temporary name, through
/// the model functions vaepipe passes in; vaepipe renames the file when it succeeds.
enum LoadedExporter {
    static func plugin(_ d: vp_exporter, origin: PluginOrigin, fail: (String) -> VAEPipeError) throws -> ExporterPlugin {
        let id = try PluginLoader.id(d.id, "exporter id", fail)
        let summary = try PluginLoader.text(d.summary, "summary of exporter '\(id)'", fail)
        let fileName = try PluginLoader.text(d.file_name, "file name of exporter '\(id)'", fail)
        guard (1...64).contains(fileName.count), !fileName.contains("/"), !fileName.hasPrefix("."),
              !["model.safetensors", "run.json", "metrics.jsonl", "index.html", "skipped.txt"].contains(fileName) else {
            throw fail("exporter '\(id)' file name '\(fileName)' is not a plain file name of its own")
        }
        guard (0...4096).contains(d.default_count) else { throw fail("exporter '\(id)' default_count is \(d.default_count) (0 to 4096)") }
        try PluginLoader.functions([("write", PluginLoader.address(d.write), true)], of: "exporter '\(id)'", fail)
        let plugin = origin.path ?? id
        return ExporterPlugin(id: id, summary: summary, origin: origin, fileName: fileName, defaultCount: Int(d.default_count),
                              output: .file({ request, path in try write(d, id: id, plugin: plugin, request, to: path) }))
    }

    private static func write(_ d: vp_exporter, id: String, plugin: String, _ request: ExportRequest, to path: String) throws {
        let host = ExportHost(model: request.model)
        let model = request.model, k = model.latent
        let inputs = try request.inputs.map { set -> [Float] in
            var out = [Float](repeating: 0, count: set.count * model.inputSize)
            try out.withUnsafeMutableBufferPointer { p in
                for i in 0..<set.count { try set.copyNormalized(i, into: p.baseAddress! + i * model.inputSize) }
            }
            return out
        } ?? []
        let kl = request.klPerDimension.flatMap { $0.count == k ? $0 : nil }
        let base = request.traversalBase.flatMap { $0.count == k ? $0 : nil }
        let temporary = path + ".partial-\(getpid())"
        let reason: String? = withExtendedLifetime(host) {
            inputs.withUnsafeBufferPointer { inputPointer in
                (kl ?? []).withUnsafeBufferPointer { klPointer in
                    (base ?? []).withUnsafeBufferPointer { basePointer in
                        let s = model.config.shape
                        var context = vp_export_context(
                            latent: Int64(k), height: Int64(s.height), width: Int64(s.width), channels: Int64(s.channels),
                            count: Int64(request.count), steps: Int64(request.steps), seed: request.seed,
                            kl_per_dimension: kl == nil ? nil : klPointer.baseAddress,
                            base: base == nil ? nil : basePointer.baseAddress,
                            input_count: Int64(inputs.count / max(model.inputSize, 1)),
                            inputs: inputs.isEmpty ? nil : inputPointer.baseAddress,
                            host: Unmanaged.passUnretained(host).toOpaque(),
                            decode: exportDecode, encode: exportEncode)
                        return failureMessage { d.write(&context, temporary, $0, $1) }
                    }
                }
            }
        }
        if let reason {
            unlink(temporary)
            throw VAEPipeError.badPlugin(path: plugin, reason: "exporter '\(id)' could not write \(path): \(reason)")
        }
        // Plugins create files as they like (giflib: owner-only); the gallery gets the usual mode.
        let mask = umask(0)
        umask(mask)
        chmod(temporary, 0o644 & ~mask)
        guard rename(temporary, path) == 0 else {
            let e = String(cString: strerror(errno))
            unlink(temporary)
            throw VAEPipeError.io(path: path, reason: "cannot move the exporter's file into place: \(e)")
        }
    }
}

/// What an exporter's decode and encode calls reach: the model.
private final class ExportHost {
    let model: VAE
    init(model: VAE) { self.model = model }
}

private let exportLimit: Int64 = 4096

private func exportDecode(_ host: UnsafeMutableRawPointer?, _ z: UnsafePointer<Float>?, _ n: Int64,
                          _ images: UnsafeMutablePointer<Float>?) -> Int32 {
    guard let host, let z, let images, (0...exportLimit).contains(n) else { return 1 }
    let model = Unmanaged<ExportHost>.fromOpaque(host).takeUnretainedValue().model
    var done = 0
    while done < Int(n) {
        let b = min(model.capacity, Int(n) - done)
        model.decodeMean(z + done * model.latent, batch: b, into: images + done * model.inputSize)
        done += b
    }
    return 0
}

private func exportEncode(_ host: UnsafeMutableRawPointer?, _ x: UnsafePointer<Float>?, _ n: Int64,
                          _ mu: UnsafeMutablePointer<Float>?) -> Int32 {
    guard let host, let x, let mu, (0...exportLimit).contains(n) else { return 1 }
    let model = Unmanaged<ExportHost>.fromOpaque(host).takeUnretainedValue().model
    let k = model.latent
    var done = 0
    while done < Int(n) {
        let b = min(model.capacity, Int(n) - done)
        let moments = model.encode(x + done * model.inputSize, batch: b)
        for r in 0..<b { (mu + (done + r) * k).update(from: moments + r * 2 * k, count: k) }
        done += b
    }
    return 0
}

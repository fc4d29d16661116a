import CVAEPipePlugin
import Foundation

/// A likelihood head from a plugin's table, driven like a Swift head: `HeadScorer` hands it row
/// ranges from several threads, and it passes each range to the plugin's `score`.
final class LoadedHead: Likelihood {
    let options: HeadOptions
    let parameterSpecs: [ParameterSpec]
    private let table: vp_head
    private let id: String
    private let path: String
    private var state: UnsafeMutableRawPointer?
    private var values: UnsafeMutablePointer<Float>?
    private let failure = NSLock()
    /// The first error `score` reported, with the row range, for the message that ends the run.
    private(set) var firstError: String?

    private init(_ table: vp_head, id: String, path: String, specs: [ParameterSpec], options: HeadOptions) throws {
        self.table = table; self.id = id; self.path = path; self.options = options
        parameterSpecs = specs
        // The C ABI's options carry no sigma: a plugin's head could not honour one.
        if options.sigma != nil { throw HeadOptions.noSigma(head: id) }
        if let create = table.create {
            var o = vp_head_options(binarize: options.binarize == .none ? 0 : options.binarize == .threshold ? 1 : 2)
            var made: UnsafeMutableRawPointer?
            if let reason = failureMessage({ create(&o, &made, $0, $1) }) {
                throw VAEPipeError.badPlugin(path: path, reason: "head '\(id)' refused its options: \(reason)")
            }
            state = made
        }
    }

    deinit { if let state { table.destroy?(state) } }

    func bind(values: UnsafeMutablePointer<Float>) { self.values = values }

    func initialize() {
        let count = parameterSpecs.reduce(0) { $0 + $1.count }
        guard let values, count > 0 else { return }
        values.update(repeating: 0, count: count)
        table.initialize?(state, values)
    }

    func prepare(_ x: UnsafeMutablePointer<Float>, count: Int, rng: inout SplitMix64) {
        options.binarize.apply(x, count: count, rng: &rng)
    }

    func score(rows: Range<Int>, _ batch: HeadBatch) {
        var b = vp_head_batch(logits: batch.logits, targets: batch.targets, rows: Int64(batch.rows),
                              dimension: Int64(batch.dimension), params: UnsafePointer(values), nll: batch.nll,
                              dlogits: batch.dLogits, dparams: batch.dParameters, scale: batch.scale)
        let reason = failureMessage { table.score(state, &b, Int64(rows.lowerBound), Int64(rows.upperBound), $0, $1) }
        guard let reason else { return }
        // The rows' losses become NaN, so training stops as diverged; the message says why.
        for r in rows { batch.nll[r] = .nan }
        failure.lock(); defer { failure.unlock() }
        if firstError == nil { firstError = "head '\(id)' failed on rows \(rows.lowerBound)..<\(rows.upperBound): \(reason)" }
    }

    func mean(logits: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        table.mean(state, UnsafePointer(values), logits, out, Int64(count))
    }

    /// The registry entry for a table's head, after checking it and probing it on a small batch.
    static func plugin(_ d: vp_head, origin: PluginOrigin, fail: (String) -> VAEPipeError) throws -> HeadPlugin {
        let id = try PluginLoader.id(d.id, "head id", fail)
        let summary = try PluginLoader.text(d.summary, "summary of head '\(id)'", fail)
        try PluginLoader.functions([("score", PluginLoader.address(d.score), true), ("mean", PluginLoader.address(d.mean), true),
                                    ("create", PluginLoader.address(d.create), false), ("destroy", PluginLoader.address(d.destroy), false),
                                    ("initialize", PluginLoader.address(d.initialize), false)], of: "head '\(id)'", fail)
        guard (0...16).contains(d.parameter_count), d.parameter_count == 0 || d.parameters != nil else {
            throw fail("head '\(id)' declares \(d.parameter_count) parameter tensors (0 to 16 allowed, with their table)")
        }
        guard let parameters = PluginMemory.copy(d.parameters, count: Int(d.parameter_count)) else {
            throw fail("head '\(id)' parameter table is not readable memory")
        }
        var specs: [ParameterSpec] = []
        for p in parameters {
            let name = try PluginLoader.id(p.name, "parameter name of head '\(id)'", fail)
            guard (1...(1 << 20)).contains(p.count) else { throw fail("head '\(id)' parameter '\(name)' has \(p.count) values (1 to 1048576 allowed)") }
            guard !specs.contains(where: { $0.name == name }) else { throw fail("head '\(id)' names parameter '\(name)' twice") }
            specs.append(ParameterSpec(name: name, shape: [Int(p.count)]))
        }
        let path = origin.path ?? id
        try probe(try LoadedHead(d, id: id, path: path, specs: specs, options: HeadOptions()), id: id, fail: fail)
        return HeadPlugin(id: id, summary: summary, origin: origin) { options in
            try LoadedHead(d, id: id, path: path, specs: specs, options: options)
        }
    }

    /// The checks a built-in head passes by construction: finite losses and gradients, and
    /// means in [0, 1], on a small batch of ordinary values.
    private static func probe(_ head: LoadedHead, id: String, fail: (String) -> VAEPipeError) throws {
        let rows = 3, dimension = 16
        let store = ParameterStore(specs: head.parameterSpecs)
        let scorer = HeadScorer(head: head, capacity: rows)
        scorer.bind(values: store.values.pointer, gradients: store.gradients.pointer)
        head.initialize()
        let logits = FloatBuffer((0..<(rows * dimension)).map { Float($0 % 9) - 4 })
        let targets = FloatBuffer((0..<(rows * dimension)).map { Float($0 % 5) / 4 })
        let nll = FloatBuffer(count: rows), dLogits = FloatBuffer(count: rows * dimension), means = FloatBuffer(count: rows * dimension)
        scorer.negativeLogLikelihood(logits: logits.pointer, targets: targets.pointer, batch: rows, dimension: dimension,
                                     nll: nll.pointer, dLogits: dLogits.pointer, scale: 1)
        if let error = head.firstError { throw fail(error) }
        func check(_ what: String, _ b: FloatBuffer, _ ok: (Float) -> Bool = { $0.isFinite }) throws {
            if let i = (0..<b.count).first(where: { !ok(b[$0]) }) {
                throw fail("head '\(id)' gives \(what) \(b[i]) at index \(i) of a probe batch (logits in [-4, 4], targets in [0, 1])")
            }
        }
        try check("a non-finite NLL", nll)
        try check("a non-finite gradient", dLogits)
        try check("a non-finite parameter gradient", store.gradients)
        head.mean(logits: logits.pointer, into: means.pointer, count: means.count)
        try check("a mean outside [0, 1]", means) { $0 >= 0 && $0 <= 1 }
    }
}

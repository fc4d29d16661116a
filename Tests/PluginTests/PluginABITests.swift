import CVAEPipePlugin
import Foundation
import VAEPipeBuiltinPlugins
import VAEPipeTestSupport
import XCTest

/// The C ABI seen from the host: built-in heads called through it give the same bits as called
/// directly, and the C Laplace head of Samples/Plugins passes the checks every head passes.
final class PluginABITests: XCTestCase {
    /// Trains two tiny models side by side, one with the built-in head, one with the same head
    /// exported through a vp_head table and loaded back as a plugin: every parameter equal.
    func testBuiltInHeadsGiveTheSameBitsThroughTheCABI() throws {
        for type in [BernoulliHead.self, GaussianHead.self] as [any LikelihoodHead.Type] {
            var registry = PluginRegistry()
            try PluginLoader.add(Bridge.table(for: type), path: "bridge-\(type.id)", sha256: nil, into: &registry)
            let loaded = try registry.head(type.id).make(HeadOptions())
            let shape = ImageShape(height: 4, width: 5, channels: 1)
            let config = ModelConfig(shape: shape, hidden: 6, latent: 3, head: type.id)
            let direct = VAE(config: config, head: try type.init(options: HeadOptions()), capacity: 8)
            let viaABI = VAE(config: config, head: loaded, capacity: 8)
            var losses: [[Double]] = []
            for model in [direct, viaABI] {
                model.initialize(seed: 5)
                let adam = Adam(parameterCount: model.parameters.count)
                var rng = SplitMix64(seed: 6)
                var seen: [Double] = []
                for step in 0..<4 {
                    var data = SplitMix64(seed: UInt64(step))
                    let x = FloatBuffer((0..<(8 * shape.count)).map { _ in data.nextUniform() })
                    seen.append(model.trainStep(x.pointer, batch: 8, rng: &rng).negELBO)
                    adam.update(model.parameters)
                }
                let means = FloatBuffer(count: 2 * shape.count), z = FloatBuffer([0.5, -1, 2, 0, 0, 1])
                model.decodeMean(z.pointer, batch: 2, into: means.pointer)
                losses.append(seen + means.array.map(Double.init))
            }
            XCTAssertEqual(losses[0], losses[1], "\(type.id): losses and means")
            XCTAssertEqual(direct.parameters.values.array, viaABI.parameters.values.array, "\(type.id): parameters after 4 Adam steps")
        }
    }

    func laplace() throws -> (HeadScorer, ParameterStore) {
        let dir = Fixtures.temporaryDirectory()
        let so = try PluginBuilder.c(PluginBuilder.root + "/Samples/Plugins/laplace-head/laplace_head.c", named: "laplace_head", in: dir)
        var registry = BuiltinPlugins.registry()
        try PluginLoader.load(so, into: &registry)
        let plugin = try registry.head("laplace")
        XCTAssertEqual(plugin.origin.kind, .loaded)
        XCTAssertEqual(plugin.origin.sha256, SHA256.hex([UInt8](try Data(contentsOf: URL(fileURLWithPath: so)))))
        let head = try plugin.make(HeadOptions())
        XCTAssertEqual(head.parameterSpecs, [ParameterSpec(name: "log_b", shape: [1])])
        let store = ParameterStore(specs: head.parameterSpecs)
        let scorer = HeadScorer(head: head, capacity: 4)
        scorer.bind(values: store.values.pointer, gradients: store.gradients.pointer)
        head.initialize()
        return (scorer, store)
    }

    func testLaplacePluginGradientsMatchFiniteDifferences() throws {
        let (scorer, store) = try laplace()
        store.values[0] = -0.4
        GradientCheck.checkHead(scorer, store)
    }

    func testLaplacePluginValueByHand() throws {
        let (scorer, store) = try laplace()
        store.values[0] = Float(log(0.5))  // b = 1/2
        // logit 0 -> mean 1/2; x = 1: |x - m| / b = 1, log(2 b) = 0
        let logits = FloatBuffer([0]), x = FloatBuffer([1]), nll = FloatBuffer(count: 1)
        scorer.negativeLogLikelihood(logits: logits.pointer, targets: x.pointer, batch: 1, dimension: 1, nll: nll.pointer, dLogits: nil, scale: 1)
        XCTAssertEqual(nll[0], 1, accuracy: 1e-6)
    }

    /// A loaded head scored from several threads at once (disjoint row ranges, as the ABI says)
    /// gives the bits it gives on one thread: losses, logit gradients and its parameter's gradient.
    func testLoadedHeadOnSeveralThreadsGivesTheSameBits() throws {
        let (scorer, store) = try laplace()
        store.values[0] = -1.5
        let rows = 4, d = 3 * 32_768 / 4  // 4 chunks of one row each: one per task
        let logits = FloatBuffer(GradientCheck.random(rows * d, seed: 41, scale: 4))
        var rng = SplitMix64(seed: 42)
        let targets = FloatBuffer((0..<(rows * d)).map { _ in rng.nextUniform() })
        let saved = Parallel.threads
        defer { Parallel.setThreads(saved) }
        var results: [[Float]] = []
        for threads in [1, 3] {
            Parallel.setThreads(threads)
            let nll = FloatBuffer(count: rows), grad = FloatBuffer(count: rows * d)
            store.gradients.zero()
            scorer.negativeLogLikelihood(logits: logits.pointer, targets: targets.pointer, batch: rows, dimension: d,
                                         nll: nll.pointer, dLogits: grad.pointer, scale: 0.25)
            results.append(nll.array + grad.array + store.gradients.array)
        }
        XCTAssertEqual(results[0], results[1])
    }

    func testSHA256KnownAnswers() {
        XCTAssertEqual(SHA256.hex([]), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }
}

/// A built-in Swift head exported through the C ABI, as a plugin written in Swift would be.
private enum Bridge {
    final class Box { let head: any Likelihood; init(_ h: any Likelihood) { head = h } }
    nonisolated(unsafe) static var type: any LikelihoodHead.Type = BernoulliHead.self

    static func table(for type: any LikelihoodHead.Type) -> UnsafePointer<vp_plugin> {
        Bridge.type = type
        let specs = (try! type.init(options: HeadOptions())).parameterSpecs
        let parameters = UnsafeMutablePointer<vp_parameter>.allocate(capacity: max(specs.count, 1))
        for (i, s) in specs.enumerated() { parameters[i] = vp_parameter(name: strdup(s.name), count: Int64(s.count)) }
        let heads = UnsafeMutablePointer<vp_head>.allocate(capacity: 1)
        heads.initialize(to: vp_head(
            id: strdup(type.id), summary: strdup(type.summary), parameter_count: Int32(specs.count),
            parameters: specs.isEmpty ? nil : UnsafePointer(parameters),
            create: { _, state, _, _ in
                state!.pointee = Unmanaged.passRetained(Box(try! Bridge.type.init(options: HeadOptions()))).toOpaque()
                return 0
            },
            destroy: { Unmanaged<Box>.fromOpaque($0!).release() },
            initialize: { state, params in
                let head = Unmanaged<Box>.fromOpaque(state!).takeUnretainedValue().head
                if let params { head.bind(values: params) }
                head.initialize()
            },
            score: { state, b, begin, end, _, _ in
                let head = Unmanaged<Box>.fromOpaque(state!).takeUnretainedValue().head
                let b = b!.pointee
                head.score(rows: Int(begin)..<Int(end), HeadBatch(
                    logits: b.logits, targets: b.targets, rows: Int(b.rows), dimension: Int(b.dimension), nll: b.nll,
                    dLogits: b.dlogits, dParameters: b.dparams, scale: b.scale))
                return 0
            },
            mean: { state, _, logits, out, count in
                Unmanaged<Box>.fromOpaque(state!).takeUnretainedValue().head.mean(logits: logits!, into: out!, count: Int(count))
            }))
        let table = UnsafeMutablePointer<vp_plugin>.allocate(capacity: 1)
        table.initialize(to: vp_plugin(abi_version: UInt32(VAEPIPE_PLUGIN_ABI_VERSION), name: strdup("bridge"), version: strdup("1"),
                                       head_count: 1, heads: UnsafePointer(heads), adapter_count: 0, adapters: nil,
                                       exporter_count: 0, exporters: nil))
        return UnsafePointer(table)
    }
}

@_exported import VAEPipeAdapters
@_exported import VAEPipeCore
@_exported import VAEPipeExporters
@_exported import VAEPipeHeads

/// The one list of plugins vaepipe ships. Adding a plugin is one line here.
public enum BuiltinPlugins {
    public static func registry() -> PluginRegistry {
        var r = PluginRegistry()
        // Adapters are tried in this order when sniffing --data: IDX first, the folder catch-all last.
        r.register(adapter: IDXAdapter.self)
        r.register(adapter: ImageFolderAdapter.self)
        r.register(head: BernoulliHead.self)
        r.register(head: GaussianHead.self)
        r.register(head: ContinuousBernoulliHead.self)
        r.register(head: LogisticHead.self)
        r.register(exporter: Reconstructions.self)
        r.register(exporter: SampleGrid.self)
        r.register(exporter: TraversalStrip.self)
        r.register(exporter: Interpolations.self)
        r.register(exporter: Manifold.self)
        r.register(exporter: LatentMap.self)
        return r
    }
}

import VAEPipeKit

// vaepipe's built-in plugins, plus ours; then vaepipe's whole command line.
var registry = BuiltinPlugins.registry()
registry.register(head: UnitGaussianHead.self, origin: .linked(version: "1.0.0"))
VAEPipeKit.main(registry: registry)

import VAEPipeKit

VAEPipeKit.main(registry: BuiltinPlugins.registry())

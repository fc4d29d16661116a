// swift-tools-version:6.0
// A package of someone else's that adds a plugin to vaepipe and builds its own `vaepipe`, without
// forking it: depend on the VAEPipeKit library, register, call VAEPipeKit.main.
import PackageDescription

let package = Package(
    name: "my-vaepipe",
    dependencies: [
        // A real package would say .package(url: "https://github.com/…/vaepipe", from: "0.1.0").
        .package(name: "vaepipe", path: "../.."),
    ],
    targets: [
        .executableTarget(name: "my-vaepipe", dependencies: [.product(name: "VAEPipeKit", package: "vaepipe")],
                          path: "Sources/my-vaepipe"),
    ]
)

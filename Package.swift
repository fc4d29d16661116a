// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "vaepipe",
    products: [
        .executable(name: "vaepipe", targets: ["VAEPipeTool"]),
        // For packages that add plugins and build their own vaepipe (Samples/PluginPackage).
        .library(name: "VAEPipeKit", targets: ["VAEPipeKit"]),
        .library(name: "VAEPipeCore", targets: ["VAEPipeCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // MARK: - C libraries (system) and the one C shim
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG", pkgConfig: "libjpeg",
                       providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c",
                       providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        // MPI's handles are macros Swift cannot import: the few calls vaepipe makes, in C.
        .target(name: "CMPIShim", dependencies: ["CMPI"], path: "Sources/CMPIShim"),
        // libpng longjmps and libjpeg exit()s on error: both are caught here, in C, and
        // turned into a return code plus a message that Swift reads.
        .target(name: "CImageShim", dependencies: ["CPNG", "CJPEG"], path: "Sources/CImageShim"),

        // The compute kernels: a GEMM compiled for each instruction set and chosen by CPUID at
        // run time, and the one thread pool every parallel loop runs on.
        .target(name: "CKernels", path: "Sources/CKernels", exclude: ["gemm_kernel.inc"],
                cSettings: [.unsafeFlags(["-O3", "-ffp-contract=fast"])]),

        // The C ABI of run-time plugins: one header, shipped for plugin authors to include.
        .target(name: "CVAEPipePlugin", path: "Sources/CVAEPipePlugin"),

        // MARK: - Core: tensors, layers, model, loss, optimizer, batcher, plugin protocols and loader
        .target(name: "VAEPipeCore", dependencies: ["CKernels", "CVAEPipePlugin"], path: "Sources/VAEPipeCore"),

        // MARK: - Pipeline plugins. Ordinary library targets that live in Plugins/ with an
        //         explicit path; they are NOT SwiftPM package plugins (see Plugins/README.md).
        .target(name: "VAEPipeImageCodecs", dependencies: ["CImageShim"],
                path: "Plugins/ImageCodecs"),
        .target(name: "VAEPipeAdapters",
                dependencies: ["VAEPipeCore", "VAEPipeImageCodecs", "CZlib"],
                path: "Plugins/Adapters"),
        .target(name: "VAEPipeHeads", dependencies: ["VAEPipeCore"], path: "Plugins/Heads"),
        .target(name: "VAEPipeExporters", dependencies: ["VAEPipeCore", "VAEPipeImageCodecs"],
                path: "Plugins/Exporters"),
        .target(name: "VAEPipeBuiltinPlugins",
                dependencies: ["VAEPipeAdapters", "VAEPipeHeads", "VAEPipeExporters"],
                path: "Plugins/Builtin"),

        // MARK: - CLI: the commands as a library taking a registry (VAEPipeKit), and the tool
        .target(name: "VAEPipeKit", dependencies: [
            "VAEPipeCore", "VAEPipeBuiltinPlugins", "CMPIShim",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Sources/VAEPipeKit"),
        .executableTarget(name: "VAEPipeTool", dependencies: ["VAEPipeKit"], path: "Sources/VAEPipeTool"),

        // MARK: - Tests
        .target(name: "VAEPipeTestSupport", dependencies: ["VAEPipeCore"], path: "Tests/Support"),
        .testTarget(name: "VAEPipeCoreTests", dependencies: ["VAEPipeCore", "VAEPipeTestSupport"],
                    path: "Tests/VAEPipeCoreTests"),
        .testTarget(name: "ImageCodecTests", dependencies: ["VAEPipeImageCodecs"],
                    path: "Tests/ImageCodecTests"),
        .testTarget(name: "PluginTests", dependencies: ["VAEPipeBuiltinPlugins", "VAEPipeTestSupport", "CZlib", "CVAEPipePlugin"],
                    path: "Tests/PluginTests"),
        .testTarget(name: "RunFileTests", dependencies: ["VAEPipeCore", "VAEPipeImageCodecs", "VAEPipeTestSupport"], path: "Tests/RunFileTests"),
        .testTarget(name: "CLITests", dependencies: ["VAEPipeTool", "VAEPipeBuiltinPlugins", "VAEPipeTestSupport"], path: "Tests/CLITests"),
    ]
)

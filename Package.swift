// swift-tools-version:6.0
//
// SwiftTune: fine-tune and run small language models in-process, on CPU, in Swift.
//
// No target in this manifest passes unsafe compiler flags, so the package can be consumed as a versioned dependency.
// OpenBLAS and LAPACKE come in as system libraries found through pkg-config; threads in CKernels come from
// libgomp's `GOMP_parallel`, which needs no compiler flags (only `-lgomp`).
import PackageDescription

let package = Package(
    name: "SwiftTune",
    platforms: [.macOS(.v14)],
    // MARK: - Public products
    products: [
        .library(name: "SwiftTuneCore", targets: ["SwiftTuneCore"]),
        .library(name: "SwiftTuneServer", targets: ["SwiftTuneServer"]),
        .executable(name: "swifttune", targets: ["swifttune"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Documentation only: adds `swift package generate-documentation` (see Scripts/docs.sh).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
        // The server only (`SwiftTuneServer`): HTTP/1.1 on SwiftNIO, and Prometheus text for /metrics.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        // Tests only: concurrent streaming clients against a live server (already a dependency of HummingbirdTesting).
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.30.0"),
    ],
    targets: [
        // MARK: - Public API
        .target(
            name: "SwiftTuneCore",
            dependencies: ["CKernels", "COpenBLAS", "CLAPACKE"],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        // The OpenAI-compatible server (`swifttune deploy`); Swift 6 language mode, so Sendable is compiler-checked.
        .target(
            name: "SwiftTuneServer",
            dependencies: [
                "SwiftTuneCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "swifttune",
            dependencies: [
                "SwiftTuneCore",
                "SwiftTuneServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),

        // MARK: - Implementation details (no stable API)
        .target(
            name: "CKernels",
            linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("pthread"), .linkedLibrary("m")]
        ),
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .systemLibrary(
            name: "CLAPACKE",
            pkgConfig: "lapacke",
            providers: [.apt(["liblapacke-dev"])]
        ),

        // MARK: - Tests
        .target(
            name: "TestSupport",
            dependencies: ["SwiftTuneCore"],
            path: "Tests/TestSupport",
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .testTarget(
            name: "SwiftTuneCoreTests",
            dependencies: ["SwiftTuneCore", "TestSupport", "CKernels"],
            resources: [.copy("Fixtures")],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        // The command line's parsing layer (ms-swift names, defaults) and short runs of `sft` on Defaults/.
        .testTarget(
            name: "SwiftTuneCLITests",
            dependencies: ["swifttune", "SwiftTuneCore"],
            path: "Tests/SwiftTuneCLITests",
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        // The server in-process (HummingbirdTesting's router client) and live on port 0 (loopback).
        .testTarget(
            name: "SwiftTuneServerTests",
            dependencies: [
                "SwiftTuneServer", "SwiftTuneCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)

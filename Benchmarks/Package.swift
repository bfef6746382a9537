// swift-tools-version:6.1
//
// SwiftTune's benchmarks, as a package of their own: users of the `SwiftTuneCore` library never resolve
// ordo-one/benchmark or its dependencies.
//
//     cd Benchmarks
//     swift package --allow-writing-to-package-directory benchmark          # ordo-one/benchmark suites
//     ./compare-limits.sh                                                   # side by side with limits.c
//     ./compare-torch.sh                                                    # smol shape vs PyTorch (smol-report)
//
// Layout (what ordo-one/benchmark's plugin expects): one executable target per area under
// `Benchmarks/<Area>/`, each using the `BenchmarkPlugin` build plugin. Workload definitions live in the
// `FoundationWorkloads` library so the benchmark suite and the plain-clock `foundation-report` executable time
// exactly the same code.
import PackageDescription

let package = Package(
    name: "SwiftTuneBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        // The repository root. `name:` pins the package's name, so the reference below does not depend on the
        // directory the repository was cloned into (a plain `.package(path: "..")` is known by that directory).
        .package(name: "SwiftTune", path: ".."),
        // Swift 6.3 on Linux: the malloc metrics (malloc counts, bytes) come from the interposer trait.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Raw CBLAS for the reference `cblas_sgemm` calls (the root package's COpenBLAS is not a product).
        .systemLibrary(
            name: "CBenchBLAS",
            path: "Sources/CBenchBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // What a workload is (inputs, untimed prepare, timed run, work per call), the clock, peak resident memory.
        .target(
            name: "WorkloadSupport",
            dependencies: [
                .product(name: "SwiftTuneCore", package: "SwiftTune"),
                "CBenchBLAS",
            ],
            path: "Sources/WorkloadSupport",
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        // The Foundation area's workloads, shared by its two runners below.
        .target(
            name: "FoundationWorkloads",
            dependencies: [
                .product(name: "SwiftTuneCore", package: "SwiftTune"),
                "CBenchBLAS",
                "WorkloadSupport",
            ],
            path: "Sources/FoundationWorkloads",
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        // Plain clock timing, one JSON line per workload, ratios to limits.c's numbers (compare-limits.sh).
        .executableTarget(
            name: "foundation-report",
            dependencies: ["FoundationWorkloads", "CBenchBLAS"],
            path: "Sources/foundation-report",
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        // The Attention area's workloads (tiled vs dense, packed vs separate vs padded), shared by its two runners.
        .target(
            name: "AttentionWorkloads",
            dependencies: [
                .product(name: "SwiftTuneCore", package: "SwiftTune"),
                "WorkloadSupport",
            ],
            path: "Sources/AttentionWorkloads",
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        // Plain clock timing and peak memory of the Attention area, with the ratios the goals are about.
        .executableTarget(
            name: "attention-report",
            dependencies: ["AttentionWorkloads"],
            path: "Sources/attention-report",
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        // The NF4 area's workloads (quantize, dequantize, fused products) and its report (also decode tokens/s,
        // bits per parameter and the QLoRA step's peak memory).
        .target(
            name: "NF4Workloads",
            dependencies: [
                .product(name: "SwiftTuneCore", package: "SwiftTune"),
                "WorkloadSupport",
            ],
            path: "Sources/NF4Workloads",
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .executableTarget(
            name: "nf4-report",
            dependencies: ["NF4Workloads"],
            path: "Sources/nf4-report",
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        // SmolLM-135M shape, the same four workloads as shared/anchors/torch_anchor.py (compare-torch.sh).
        .executableTarget(
            name: "smol-report",
            dependencies: [.product(name: "SwiftTuneCore", package: "SwiftTune")],
            path: "Sources/smol-report",
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        // MARK: - ordo-one/benchmark suites (one per area)
        .executableTarget(
            // Named FoundationBenchmarks: a module called `Foundation` would shadow Apple's Foundation.
            name: "FoundationBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                "FoundationWorkloads",
            ],
            path: "Benchmarks/Foundation",
            swiftSettings: [.swiftLanguageMode(.v5)],
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
        .executableTarget(
            name: "AttentionBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                "AttentionWorkloads",
            ],
            path: "Benchmarks/Attention",
            swiftSettings: [.swiftLanguageMode(.v5)],
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
        .executableTarget(
            name: "NF4Benchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                "NF4Workloads",
            ],
            path: "Benchmarks/NF4",
            swiftSettings: [.swiftLanguageMode(.v5)],
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
    ]
)

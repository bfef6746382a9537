// swift-tools-version:6.0
//
// libFuzzer targets for SwiftTune's input parsers (issue 12, "Fuzzing").
//
// A separate package so that it is never part of the product, of `swift test` or of CI: it depends on the main
// package by path, and `Scripts/fuzz.sh` builds it with `-sanitize=fuzzer,address` (libFuzzer supplies `main`, so
// each target hands its `LLVMFuzzerTestOneInput` to libFuzzer's driver from an `@main` type (see FuzzDriver)).
// Each target feeds the bytes to a public entry point; a typed error is the only acceptable failure — a trap, an
// AddressSanitizer report, a leak-free hang past the per-input timeout or an out-of-memory is a bug.
import PackageDescription

let fuzzTargets = ["FuzzSafetensors", "FuzzTokenizer", "FuzzModelConfig", "FuzzDatasetRow", "FuzzJinja"]

let package = Package(
    name: "SwiftTuneFuzz",
    dependencies: [.package(name: "SwiftTune", path: "..")],
    targets: [
        .target(name: "FuzzDriver", path: "Sources/FuzzDriver", swiftSettings: [.swiftLanguageMode(.v5)]),
    ] + fuzzTargets.map { name in
        .executableTarget(
            name: name,
            dependencies: ["FuzzDriver", .product(name: "SwiftTuneCore", package: "SwiftTune")],
            path: "Sources/\(name)",
            swiftSettings: [.swiftLanguageMode(.v5), .unsafeFlags(["-parse-as-library"])]
        )
    }
)

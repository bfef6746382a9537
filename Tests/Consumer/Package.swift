// swift-tools-version:6.0
// A package that uses SwiftTune the way an application would: as a versioned dependency. `check.sh` clones the
// repository to the URL below and tags it, so SwiftPM resolves it like any released package (which would reject
// `unsafeFlags` in SwiftTune's products).
import PackageDescription

let package = Package(
    name: "Consumer",
    dependencies: [
        .package(url: "file:///tmp/swifttune-consumer-check/SwiftTune", from: "0.1.0"),
    ],
    targets: [
        .executableTarget(
            name: "Consumer",
            dependencies: [.product(name: "SwiftTuneCore", package: "SwiftTune")]
        ),
    ]
)

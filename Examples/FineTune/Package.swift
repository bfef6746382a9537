// swift-tools-version:6.0
// An application that uses SwiftTune the way any app would: as a versioned dependency. `check.sh` clones the
// repository to the URL below and tags it, so SwiftPM resolves it like a released package (and would reject any
// `unsafeFlags` in SwiftTune's products).
import PackageDescription

let package = Package(
    name: "FineTune",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "file:///tmp/swifttune-consumer-check/SwiftTune", from: "0.1.0"),
    ],
    targets: [
        .executableTarget(
            name: "FineTune",
            dependencies: [.product(name: "SwiftTuneCore", package: "SwiftTune")],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
    ]
)

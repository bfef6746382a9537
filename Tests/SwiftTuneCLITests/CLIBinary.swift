import Foundation
import Testing

/// The built `swifttune` (`swift build --build-tests` builds it beside the tests).
let swifttuneBinary = repositoryRoot.appendingPathComponent(".build/debug/swifttune")

/// What a run of the binary did.
struct BinaryRun {
    var status: Int32
    /// Standard output and standard error together.
    var output: String
}

/// Runs `swifttune arguments…` and waits for it.
func runBinary(_ arguments: [String]) throws -> BinaryRun {
    try #require(FileManager.default.isExecutableFile(atPath: swifttuneBinary.path),
                 "\(swifttuneBinary.path) is missing: build with `swift build --build-tests`")
    let process = Process()
    process.executableURL = swifttuneBinary
    process.arguments = arguments
    let pipe = Pipe()
    process.standardError = pipe
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return BinaryRun(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
}

import Foundation
import SwiftTuneCore
#if canImport(Glibc)
import Glibc
#endif

/// Running the built `swifttune` binary as a child process, for the fault tests.
enum SwiftTuneBinary {
    /// The `swifttune` built beside this test bundle (`swift build --build-tests` builds both), else `.build/debug`.
    static let url: URL? = {
        var candidates: [URL] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            let directory = URL(fileURLWithPath: exe).deletingLastPathComponent()
            candidates += [directory.appendingPathComponent("swifttune"),
                           directory.deletingLastPathComponent().appendingPathComponent("swifttune")]
        }
        candidates.append(repositoryRoot.appendingPathComponent(".build/debug/swifttune"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    /// A finished (or started) child: how it ended and what it printed.
    final class Child {
        let process = Process()
        let stdoutURL: URL
        let stderrURL: URL

        init(_ arguments: [String], fault: String?, logs: URL) throws {
            guard let binary = SwiftTuneBinary.url else {
                throw CommandFailure("swifttune binary not found next to the test bundle; run swift build --build-tests")
            }
            let id = UUID().uuidString
            stdoutURL = logs.appendingPathComponent("stdout-\(id).txt")
            stderrURL = logs.appendingPathComponent("stderr-\(id).txt")
            guard FileManager.default.createFile(atPath: stdoutURL.path, contents: nil),
                  FileManager.default.createFile(atPath: stderrURL.path, contents: nil) else {
                throw CommandFailure("cannot create log files in \(logs.path)")
            }
            process.executableURL = binary
            process.arguments = arguments
            var environment = ProcessInfo.processInfo.environment
            environment["SWIFTTUNE_FAULT_INJECT"] = fault
            process.environment = environment
            process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
            process.standardError = try FileHandle(forWritingTo: stderrURL)
            try process.run()
        }

        var pid: Int32 { process.processIdentifier }

        func wait() -> Child { process.waitUntilExit(); return self }

        /// Killed by a signal: its number; otherwise `nil`.
        var killedBy: Int32? { process.terminationReason == .uncaughtSignal ? process.terminationStatus : nil }
        /// Exited normally: the status; otherwise `nil`.
        var exitStatus: Int32? { process.terminationReason == .exit ? process.terminationStatus : nil }

        var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
        var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }
        var report: String { "exit \(process.terminationStatus) (\(process.terminationReason == .exit ? "status" : "signal"))\n"
            + "stdout: \(stdout.suffix(800))\nstderr: \(stderr.suffix(1500))" }
    }

    /// Runs `swifttune arguments` to the end (with `SWIFTTUNE_FAULT_INJECT=fault` when given).
    static func run(_ arguments: [String], fault: String? = nil, logs: URL) throws -> Child {
        try Child(arguments, fault: fault, logs: logs).wait()
    }
}

struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `relative path → bytes` of every regular file under `folder`, without the names in `excluding`.
func folderSnapshot(_ folder: URL, excluding: Set<String> = [FolderLock.fileName]) throws -> [String: Data] {
    var out: [String: Data] = [:]
    let base = folder.standardizedFileURL.path
    guard let walker = FileManager.default.enumerator(atPath: base) else {
        throw CommandFailure("\(base): no such folder")
    }
    for case let relative as String in walker {
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: base + "/" + relative, isDirectory: &isDirectory)
        guard !isDirectory.boolValue, !excluding.contains(URL(fileURLWithPath: relative).lastPathComponent) else { continue }
        out[relative] = try Data(contentsOf: URL(fileURLWithPath: base + "/" + relative))
    }
    return out
}

/// Entries of `directory` made by a folder transaction (`.<name>.swifttune-tmp-<pid>`, `.<name>.swifttune-old-<pid>`).
func transactionLeftovers(_ directory: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory.path)
        .filter { $0.hasPrefix(".") && ($0.contains(".swifttune-tmp-") || $0.contains(".swifttune-old-")) }.sorted()
}

/// Waits (polling, bounded) until `condition` holds; `false` if it never did.
func eventually(_ condition: () -> Bool) -> Bool {
    for _ in 0..<6000 {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

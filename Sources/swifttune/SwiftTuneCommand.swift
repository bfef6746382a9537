import ArgumentParser
import Foundation
import SwiftTuneCore

@main
struct SwiftTuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swifttune",
        abstract: "Fine-tune and run small language models on the CPU, in Swift.",
        subcommands: [PretrainCommand.self, SFTCommand.self, InferCommand.self, EvalCommand.self, TokenizeCommand.self,
                      ExportCommand.self, InitCommand.self, DemoCommand.self]
    )

    /// Expands `--config FILE` into options before parsing, so a file can hold any option and the command line
    /// overrides it.
    static func main() {
        do {
            let arguments = try ConfigFile.expand(Array(CommandLine.arguments.dropFirst()))
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}

/// `--config FILE`: a JSON object or flat YAML (`key: value` lines, lists as `[a, b]`) whose keys are option
/// names with `-` or `_` (`learning_rate: 1e-4`, `packing: true`).
enum ConfigFile {
    static let flags: Set<String> = ["packing", "use-rslora", "skip-bad-rows", "sgd-nesterov"]   // TrainOptions' @Flags

    static func expand(_ arguments: [String]) throws -> [String] {
        guard let i = arguments.firstIndex(of: "--config") else { return arguments }
        guard i + 1 < arguments.count else { throw ValidationError("--config needs a file") }
        let path = arguments[i + 1]
        guard let data = FileManager.default.contents(atPath: path) else { throw CommandError("\(path): cannot read the config file") }
        let pairs = try parse(String(decoding: data, as: UTF8.self), path: path)
        var rest = arguments
        rest.removeSubrange(i...(i + 1))
        // Subcommand name first, then the file's options, then the explicit ones (the last occurrence wins).
        let head = rest.prefix { !$0.hasPrefix("-") }
        var expanded = Array(head)
        for (key, value) in pairs {
            let name = key.replacingOccurrences(of: "_", with: "-")
            if flags.contains(name) {
                if ["true", "1", "yes"].contains(value.lowercased()) { expanded.append("--\(name)") }
            } else {
                expanded += ["--\(name)", value]
            }
        }
        return expanded + rest.dropFirst(head.count)
    }

    static func parse(_ text: String, path: String) throws -> [(String, String)] {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("{") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any] else {
                throw CommandError("\(path): not a JSON object")
            }
            return object.keys.sorted().map { key in
                let value = object[key]!
                if let list = value as? [Any] { return (key, list.map { "\($0)" }.joined(separator: ",")) }
                if let number = value as? NSNumber, String(cString: number.objCType) == "c" { return (key, number.boolValue ? "true" : "false") }
                return (key, "\(value)")
            }
        }
        var pairs: [(String, String)] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            guard let colon = line.firstIndex(of: ":") else { throw CommandError("\(path):\(n + 1): expected 'key: value'") }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("[") && value.hasSuffix("]") {
                value = value.dropFirst().dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ",")
            }
            if value.count >= 2, let q = value.first, q == "\"" || q == "'", value.last == q { value = String(value.dropFirst().dropLast()) }
            pairs.append((key, value))
        }
        return pairs
    }
}

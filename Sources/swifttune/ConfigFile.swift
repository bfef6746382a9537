import ArgumentParser
import Foundation

/// `--config FILE` (or, as ms-swift takes it, `swifttune sft FILE.yaml`): a JSON object or flat YAML whose keys are
/// option names in either spelling (`learning_rate: 1e-4`, `lora-rank: 8`, `packing: true`).
///
/// YAML here is `key: value` lines, lists as `[a, b]` or as indented `- item` lines under `key:`; `#` starts a
/// comment. A JSON object value (`lr_scheduler_kwargs`) is passed on as JSON text. The file's options go before the
/// command line's, so an option given on the command line wins (ArgumentParser keeps the last occurrence).
enum ConfigFile {
    static func expand(_ arguments: [String]) throws -> [String] {
        var rest = arguments
        let path: String
        if let i = rest.firstIndex(of: "--config") {
            guard i + 1 < rest.count else { throw ValidationError("--config needs a file") }
            path = rest[i + 1]
            rest.removeSubrange(i...(i + 1))
        } else if rest.count > 1, !rest[1].hasPrefix("-"), [".yaml", ".yml", ".json"].contains(where: rest[1].lowercased().hasSuffix) {
            path = rest.remove(at: 1)
        } else {
            return arguments
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw CommandError("\(path): cannot read the config file") }
        let pairs = try parse(String(decoding: data, as: UTF8.self), path: path)
        // Subcommand name first, then the file's options, then the explicit ones (the last occurrence wins).
        let head = rest.prefix { !$0.hasPrefix("-") }
        var expanded = Array(head)
        for (key, values) in pairs {
            expanded.append("--\(key)")
            expanded += values
        }
        return expanded + rest.dropFirst(head.count)
    }

    /// The file's `(key, values)` pairs in file order (JSON: sorted by key).
    static func parse(_ text: String, path: String) throws -> [(String, [String])] {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("{") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any] else {
                throw CommandError("\(path): not a JSON object")
            }
            return try object.keys.sorted().map { key in
                let value = object[key]!
                if let list = value as? [Any] { return (key, try list.map { try scalar($0, key: key, path: path) }) }
                return (key, [try scalar(value, key: key, path: path)])
            }
        }
        var pairs: [(String, [String])] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = stripComment(String(raw))
            let stripped = line.trimmingCharacters(in: .whitespaces)
            if stripped.isEmpty || stripped == "---" { continue }
            if stripped.hasPrefix("- ") || stripped == "-" {
                guard line.first == " " || line.first == "\t", !pairs.isEmpty else {
                    throw CommandError("\(path):\(n + 1): a list item needs a 'key:' line above it")
                }
                pairs[pairs.count - 1].1.append(unquote(String(stripped.dropFirst()).trimmingCharacters(in: .whitespaces)))
                continue
            }
            if line.first == " " || line.first == "\t" {
                throw CommandError("\(path):\(n + 1): nested YAML is not supported (flat 'key: value' lines only)")
            }
            guard let colon = line.firstIndex(of: ":") else { throw CommandError("\(path):\(n + 1): expected 'key: value'") }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            // An empty key would become the bare `--` (the end of options) and be blamed on the line above it.
            guard !key.isEmpty else { throw CommandError("\(path):\(n + 1): expected 'key: value', the key is missing") }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("[") && value.hasSuffix("]") {
                let items = value.dropFirst().dropLast().split(separator: ",").map { unquote($0.trimmingCharacters(in: .whitespaces)) }
                pairs.append((key, items))
            } else if value.isEmpty {
                pairs.append((key, []))   // a flag, or a block list that follows
            } else {
                pairs.append((key, [unquote(value)]))
            }
        }
        return pairs
    }

    static func scalar(_ value: Any, key: String, path: String) throws -> String {
        if let number = value as? NSNumber, String(cString: number.objCType) == "c" { return number.boolValue ? "true" : "false" }
        if value is [String: Any] {
            let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
        if value is NSNull { throw CommandError("\(path): \(key) is null; leave the key out for the default") }
        return "\(value)"
    }

    /// The line without a `#` comment (a `#` inside quotes, or directly after a non-space as in `file.jsonl#100`,
    /// is kept).
    static func stripComment(_ line: String) -> String {
        var quote: Character?
        var previous: Character = " "
        for (offset, ch) in line.enumerated() {
            if let q = quote { if ch == q { quote = nil } }
            else if ch == "\"" || ch == "'" { quote = ch }
            else if ch == "#" && (previous == " " || previous == "\t" || offset == 0) { return String(line.prefix(offset)) }
            previous = ch
        }
        return line
    }

    static func unquote(_ value: String) -> String {
        if value.count >= 2, let q = value.first, q == "\"" || q == "'", value.last == q { return String(value.dropFirst().dropLast()) }
        return value
    }
}

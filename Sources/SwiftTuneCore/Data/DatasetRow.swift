import Foundation

/// One row of an ms-swift JSONL dataset, in any of the formats it accepts.
public enum DatasetRow: Equatable, Sendable {
    /// `{"messages": [{"role": "system"|"user"|"assistant", "content": ..., "loss": true|false}]}`.
    case messages([DatasetMessage])
    /// `{"query": ..., "response": ..., "history": [[q, r], ...], "system": ...}`.
    case queryResponse(query: String, response: String, history: [[String]], system: String?)
    /// `{"instruction": ..., "input": ..., "output": ...}` (alpaca).
    case alpaca(instruction: String, input: String, output: String)
    /// `{"text": ...}`: plain text for pretraining.
    case text(String)
    /// `{"input_ids": [...], "labels": [...]}`: pre-tokenized; labels align with input_ids (the model shifts);
    /// −100 is not scored; no labels means every token is scored.
    case tokenized(inputIDs: [Int], labels: [Int]?)

    /// The conversation this row describes (nil for text and pre-tokenized rows).
    public var conversation: [DatasetMessage]? {
        switch self {
        case let .messages(m): return m
        case let .queryResponse(query, response, history, system):
            var m: [DatasetMessage] = system.map { [DatasetMessage(role: "system", content: $0)] } ?? []
            for turn in history where turn.count == 2 {
                m += [DatasetMessage(role: "user", content: turn[0]), DatasetMessage(role: "assistant", content: turn[1])]
            }
            return m + [DatasetMessage(role: "user", content: query), DatasetMessage(role: "assistant", content: response)]
        case let .alpaca(instruction, input, output):
            let prompt = input.isEmpty ? instruction : "\(instruction)\n\(input)"
            return [DatasetMessage(role: "user", content: prompt), DatasetMessage(role: "assistant", content: output)]
        case .text, .tokenized: return nil
        }
    }
}

/// A chat message of a dataset row; `loss: false` on an assistant message excludes it from the loss.
public struct DatasetMessage: Codable, Equatable, Sendable {
    public var role: String
    public var content: String
    public var loss: Bool?

    public init(role: String, content: String, loss: Bool? = nil) {
        self.role = role
        self.content = content
        self.loss = loss
    }
}

extension DatasetRow {
    /// Parses one JSON object. - Throws: a description of what is wrong (the reader adds file and line).
    public init(json data: Data) throws {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw DatasetRowProblem("not valid JSON")
        }
        guard let dict = object as? [String: Any] else { throw DatasetRowProblem("not a JSON object") }
        func string(_ key: String) throws -> String? {
            guard let value = dict[key], !(value is NSNull) else { return nil }
            guard let s = value as? String else { throw DatasetRowProblem("'\(key)' is not a string") }
            return s
        }
        func ints(_ key: String) throws -> [Int]? {
            guard let value = dict[key], !(value is NSNull) else { return nil }
            guard let array = value as? [Any] else { throw DatasetRowProblem("'\(key)' is not a list of integers") }
            return try array.map {
                guard let n = $0 as? Int else { throw DatasetRowProblem("'\(key)' holds a value that is not an integer") }
                return n
            }
        }
        if let raw = dict["messages"] {
            guard let list = raw as? [[String: Any]] else { throw DatasetRowProblem("'messages' is not a list of objects") }
            self = .messages(try list.enumerated().map { i, m in
                guard let role = m["role"] as? String else { throw DatasetRowProblem("message \(i) has no 'role' string") }
                guard ["system", "user", "assistant"].contains(role) else {
                    throw DatasetRowProblem("message \(i) has role '\(role)' (expected system, user or assistant)")
                }
                guard let content = m["content"] as? String else { throw DatasetRowProblem("message \(i) has no 'content' string") }
                let loss = m["loss"].flatMap { $0 is NSNull ? nil : $0 as? Bool }
                return DatasetMessage(role: role, content: content, loss: loss)
            })
        } else if let ids = try ints("input_ids") {
            let labels = try ints("labels")
            if let labels, labels.count != ids.count {
                throw DatasetRowProblem("'labels' has \(labels.count) entries for \(ids.count) input_ids")
            }
            self = .tokenized(inputIDs: ids, labels: labels)
        } else if let query = try string("query") {
            guard let response = try string("response") else { throw DatasetRowProblem("'query' without 'response'") }
            var history: [[String]] = []
            if let h = dict["history"], !(h is NSNull) {
                guard let turns = h as? [[String]], turns.allSatisfy({ $0.count == 2 }) else {
                    throw DatasetRowProblem("'history' is not a list of [query, response] pairs")
                }
                history = turns
            }
            self = .queryResponse(query: query, response: response, history: history, system: try string("system"))
        } else if let instruction = try string("instruction") {
            guard let output = try string("output") else { throw DatasetRowProblem("'instruction' without 'output'") }
            self = .alpaca(instruction: instruction, input: try string("input") ?? "", output: output)
        } else if let text = try string("text") {
            self = .text(text)
        } else {
            throw DatasetRowProblem("no known format (expected messages, query/response, instruction/output, text or input_ids)")
        }
    }
}

/// Why one row could not be read (wrapped into ``DatasetError`` with the file and line).
public struct DatasetRowProblem: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// A dataset file that cannot be read.
public enum DatasetError: Error, CustomStringConvertible, Equatable {
    case unreadable(file: String)
    case badRow(file: String, line: Int, reason: String)
    case empty(file: String)

    public var description: String {
        switch self {
        case let .unreadable(file): return "\(file): cannot read the file"
        case let .badRow(file, line, reason): return "\(file):\(line): \(reason)"
        case let .empty(file): return "\(file): no rows"
        }
    }
}

/// Reads a JSONL dataset: one JSON object per line, blank lines ignored.
public struct JSONLDataset {
    public let url: URL
    /// The rows and the 1-based line each came from.
    public let rows: [(line: Int, row: DatasetRow)]
    /// Lines skipped because they were malformed (only with `skipBadRows`).
    public let skipped: [DatasetError]

    /// Reads and parses every line of a JSONL file.
    ///
    /// - Parameters:
    ///   - url: the JSONL file.
    ///   - skipBadRows: skip malformed lines (they are reported in ``skipped``) instead of throwing.
    public init(contentsOf url: URL, skipBadRows: Bool = false) throws {
        self.url = url
        guard let data = FileManager.default.contents(atPath: url.path) else { throw DatasetError.unreadable(file: url.path) }
        var rows: [(Int, DatasetRow)] = []
        var skipped: [DatasetError] = []
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            do {
                rows.append((lineNumber, try DatasetRow(json: Data(line))))
            } catch {
                let problem = DatasetError.badRow(file: url.path, line: lineNumber, reason: "\(error)")
                if skipBadRows { skipped.append(problem) } else { throw problem }
            }
        }
        if rows.isEmpty && skipped.isEmpty { throw DatasetError.empty(file: url.path) }
        self.rows = rows
        self.skipped = skipped
    }
}

import Foundation

/// One row of an ms-swift JSONL dataset, in any of the formats it accepts.
public enum DatasetRow: Equatable, Sendable {
    /// `{"messages": [{"role": "system"|"user"|"assistant"|"tool", "content": ..., "loss": true|false, ...}],
    /// "tools": [...]}`; other message keys (`tool_calls`, `reasoning_content`, `name`, `tool_call_id`) are kept for
    /// the chat template, and `tools` (a list of JSON-schema functions, or ms-swift's JSON string of one) becomes the
    /// template's `tools`. ms-swift's `tool_call` messages (content: a JSON `{"name", "arguments"}`) become an
    /// assistant message's `tool_calls` (consecutive ones merged), and `tool_response` messages `tool` messages.
    case messages([DatasetMessage], tools: [JinjaValue]? = nil)
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
        case let .messages(m, _): return m
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

    /// The row's `tools` (conversation rows only).
    public var tools: [JinjaValue]? {
        if case let .messages(_, tools) = self { return tools }
        return nil
    }
}

/// A chat message of a dataset row; `loss: false` on an assistant message excludes it from the loss.
public struct DatasetMessage: Equatable, Sendable {
    public var role: String
    public var content: String
    public var loss: Bool?
    /// The message's other keys in order (`tool_calls`, `reasoning_content`, …; `content: null` as `.none`).
    public var extra: JinjaObject

    public init(role: String, content: String, loss: Bool? = nil, extra: JinjaObject = JinjaObject()) {
        self.role = role
        self.content = content
        self.loss = loss
        self.extra = extra
    }

    /// The message a chat template renders (`loss` is SwiftTune's and ms-swift's, not the template's).
    public var chatMessage: ChatMessage { ChatMessage(role: role, content: content, extra: extra) }
}

extension DatasetRow {
    /// Parses one JSON object (object key order is kept: templates print tool arguments with `tojson`).
    ///
    /// - Throws: a ``DatasetRowProblem`` saying what is wrong (the reader adds file and line).
    public init(json data: Data) throws {
        let value: JinjaValue
        do { value = try JinjaValue(jsonData: data) } catch {
            throw DatasetRowProblem("not valid JSON (\(error))")
        }
        guard case let .object(dict) = value else { throw DatasetRowProblem("not a JSON object") }
        func string(_ key: String) throws -> String? {
            switch dict[key] {
            case nil, .none?: return nil
            case let .string(s)?: return s
            default: throw DatasetRowProblem("'\(key)' is not a string")
            }
        }
        func ints(_ key: String) throws -> [Int]? {
            switch dict[key] {
            case nil, .none?: return nil
            case let .array(items)?:
                return try items.map {
                    guard case let .int(n) = $0 else { throw DatasetRowProblem("'\(key)' holds a value that is not an integer") }
                    return n
                }
            default: throw DatasetRowProblem("'\(key)' is not a list of integers")
            }
        }
        if let raw = dict["messages"] {
            guard case let .array(list) = raw else { throw DatasetRowProblem("'messages' is not a list of objects") }
            self = .messages(try DatasetMessage.conversation(list), tools: try DatasetRow.tools(dict["tools"]))
        } else if let ids = try ints("input_ids") {
            let labels = try ints("labels")
            if let labels, labels.count != ids.count {
                throw DatasetRowProblem("'labels' has \(labels.count) entries for \(ids.count) input_ids")
            }
            self = .tokenized(inputIDs: ids, labels: labels)
        } else if let query = try string("query") {
            guard let response = try string("response") else { throw DatasetRowProblem("'query' without 'response'") }
            var history: [[String]] = []
            switch dict["history"] {
            case nil, .none?: break
            case let .array(turns)?:
                history = try turns.map { turn in
                    guard case let .array(pair) = turn, pair.count == 2, case let .string(q) = pair[0],
                          case let .string(r) = pair[1] else {
                        throw DatasetRowProblem("'history' is not a list of [query, response] pairs")
                    }
                    return [q, r]
                }
            default: throw DatasetRowProblem("'history' is not a list of [query, response] pairs")
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

    /// A row's `tools`: a list of objects, or ms-swift's JSON string of one.
    static func tools(_ value: JinjaValue?) throws -> [JinjaValue]? {
        switch value {
        case nil, .none?: return nil
        case let .array(items)?: return items
        case let .string(text)?:
            guard case let .array(items)? = try? JinjaValue(jsonData: Data(text.utf8)) else {
                throw DatasetRowProblem("'tools' is a string that is not a JSON list")
            }
            return items
        default: throw DatasetRowProblem("'tools' is not a list")
        }
    }
}

extension DatasetMessage {
    /// The roles a conversation row may use (`tool_call` / `tool_response` are ms-swift's agent spellings).
    static let roles = ["system", "user", "assistant", "tool", "tool_call", "tool_response"]

    /// A row's `messages`, with ms-swift's `tool_call` / `tool_response` messages turned into the OpenAI form that
    /// chat templates read.
    static func conversation(_ list: [JinjaValue]) throws -> [DatasetMessage] {
        var out: [DatasetMessage] = []
        for (i, item) in list.enumerated() {
            guard case let .object(m) = item else { throw DatasetRowProblem("message \(i) is not an object") }
            guard case let .string(role)? = m["role"] else { throw DatasetRowProblem("message \(i) has no 'role' string") }
            guard roles.contains(role) else {
                throw DatasetRowProblem("message \(i) has role '\(role)' (expected \(roles.joined(separator: ", ")))")
            }
            var content = ""
            var extra = JinjaObject()
            switch m["content"] {
            case let .string(text)?: content = text
            case nil, .none?:
                guard role == "assistant" else { throw DatasetRowProblem("message \(i) has no 'content' string") }
                extra["content"] = JinjaValue.none
            case .array?: throw DatasetRowProblem("message \(i) has a list as 'content' (multimodal content is not supported)")
            case let .object(result)? where role == "tool" || role == "tool_response":
                extra["content"] = .object(result)   // a structured tool result; templates print it with tojson
            default: throw DatasetRowProblem("message \(i) has a 'content' that is not a string")
            }
            var loss: Bool?
            switch m["loss"] {
            case nil, .none?: loss = nil
            case let .bool(b)?: loss = b
            default: throw DatasetRowProblem("message \(i) has a 'loss' that is not true, false or null")
            }
            for key in m.keys where !["role", "content", "loss"].contains(key) { extra[key] = m[key] }
            switch role {
            case "tool_call":
                guard case let .object(call)? = try? JinjaValue(jsonData: Data(content.utf8)) else {
                    throw DatasetRowProblem("message \(i) (tool_call) content is not a JSON object")
                }
                let toolCall = JinjaValue.object(JinjaObject([("type", .string("function")), ("function", .object(call))]))
                if let last = out.last, last.role == "assistant", last.extra["content"] == JinjaValue.none,
                   case let .array(calls)? = last.extra["tool_calls"] {
                    out[out.count - 1].extra["tool_calls"] = .array(calls + [toolCall])
                } else {
                    out.append(DatasetMessage(role: "assistant", content: "", loss: loss,
                                              extra: JinjaObject([("content", .none), ("tool_calls", .array([toolCall]))])))
                }
            case "tool_response":
                out.append(DatasetMessage(role: "tool", content: content, loss: loss, extra: extra))
            default:
                out.append(DatasetMessage(role: role, content: content, loss: loss, extra: extra))
            }
        }
        return out
    }
}

/// Why one row could not be read (wrapped into ``DatasetError`` with the file and line).
public struct DatasetRowProblem: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

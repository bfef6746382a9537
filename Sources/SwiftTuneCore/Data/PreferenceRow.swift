import Foundation

/// One row of an ms-swift JSONL preference dataset (`swift rlhf`): a chosen/rejected pair (DPO, ORPO, CPO,
/// SimPO) or a single completion with a desirable/undesirable label (KTO), as a conversation or pre-tokenized.
///
/// Accepted forms (ms-swift's field names, `swift/template/template_inputs.py` and
/// `swift/dataset/preprocessor/core.py`):
///
/// - `{"messages": [..., {"role": "assistant", "content": chosen}], "rejected_response": "..."}`: the rejected
///   conversation is the chosen one up to and including its last `user` or `tool` message, then one assistant
///   message with that text. `rejected_response` may also be a list of messages (no `user` message among them)
///   that replace everything after that point. As in ms-swift, a rejected text equal to the chosen reply is an error.
/// - `{"messages": [...], "rejected_messages": [...]}`: both conversations in full.
/// - `{"messages": [...], "label": true|false}` (KTO; ms-swift takes `bool(label)`, so 0 and 1 are accepted too).
/// - `query`/`response`/`history`/`system` and `instruction`/`input`/`output` rows (see ``DatasetRow``) with
///   `rejected_response` or `label`, as ms-swift's `ResponsePreprocessor` and `AlpacaPreprocessor` keep those keys.
/// - `{"prompt_ids": [...], "chosen_ids": [...], "rejected_ids": [...]}` and
///   `{"prompt_ids": [...], "completion_ids": [...], "label": true|false}`: pre-tokenized; every completion token is
///   scored, each predicted from everything before it.
///
/// `tools` of the row apply to both conversations.
public enum PreferenceRow: Equatable, Sendable {
    /// Two full conversations that share their prompt and differ in the reply after the last user (or tool) message.
    case pair(chosen: [DatasetMessage], rejected: [DatasetMessage], tools: [JinjaValue]?)
    /// One conversation whose reply after the last user (or tool) message is desirable or not (KTO).
    case unpaired(messages: [DatasetMessage], desirable: Bool, tools: [JinjaValue]?)
    /// Pre-tokenized pair: `prompt_ids`, `chosen_ids`, `rejected_ids`.
    case tokenizedPair(promptIDs: [Int], chosenIDs: [Int], rejectedIDs: [Int])
    /// Pre-tokenized KTO row: `prompt_ids`, `completion_ids`, `label`.
    case tokenizedUnpaired(promptIDs: [Int], completionIDs: [Int], desirable: Bool)

    /// Whether the row is a pair (``pair(chosen:rejected:tools:)`` or ``tokenizedPair(promptIDs:chosenIDs:rejectedIDs:)``).
    public var isPair: Bool {
        switch self {
        case .pair, .tokenizedPair: return true
        case .unpaired, .tokenizedUnpaired: return false
        }
    }

    /// The row as KTO rows: itself, or for a pair its chosen reply as desirable then its rejected reply as
    /// undesirable (TRL's `unpair_preference_dataset`).
    public var unpairedRows: [PreferenceRow] {
        switch self {
        case .unpaired, .tokenizedUnpaired: return [self]
        case let .pair(chosen, rejected, tools):
            return [.unpaired(messages: chosen, desirable: true, tools: tools),
                    .unpaired(messages: rejected, desirable: false, tools: tools)]
        case let .tokenizedPair(prompt, chosen, rejected):
            return [.tokenizedUnpaired(promptIDs: prompt, completionIDs: chosen, desirable: true),
                    .tokenizedUnpaired(promptIDs: prompt, completionIDs: rejected, desirable: false)]
        }
    }
}

extension PreferenceRow {
    /// Parses one JSON object of a preference dataset.
    ///
    /// - Throws: a ``DatasetRowProblem`` saying which field is wrong (the reader adds file and line).
    public init(json data: Data) throws {
        let value: JinjaValue
        do { value = try JinjaValue(jsonData: data) } catch {
            throw DatasetRowProblem("not valid JSON (\(error))")
        }
        guard case let .object(dict) = value else { throw DatasetRowProblem("not a JSON object") }
        let label = try PreferenceRow.label(dict["label"])
        if dict["prompt_ids"] != nil {
            self = try PreferenceRow.tokenized(dict, label: label)
            return
        }
        let base = try DatasetRow(json: data)
        guard let messages = base.conversation else {
            throw DatasetRowProblem("a preference row needs a conversation ('messages', 'query'/'response' or 'instruction'/'output') or 'prompt_ids'")
        }
        let tools = base.tools
        let hasRejected = (dict["rejected_response"] ?? .none) != .none || (dict["rejected_messages"] ?? .none) != .none
        if let label {
            guard !hasRejected else {
                throw DatasetRowProblem("'label' (a KTO row) together with 'rejected_response' or 'rejected_messages'")
            }
            _ = try PreferenceRow.replyStart(messages, field: "messages")
            self = .unpaired(messages: messages, desirable: label, tools: tools)
            return
        }
        let start = try PreferenceRow.replyStart(messages, field: "messages")
        switch (dict["rejected_messages"] ?? .none, dict["rejected_response"] ?? .none) {
        case (.none, .none):
            throw DatasetRowProblem("no 'rejected_response', 'rejected_messages' or 'label' (expected a preference pair or a KTO row)")
        case let (.array(list), .none):
            let rejected: [DatasetMessage]
            do { rejected = try DatasetMessage.conversation(list) } catch let problem as DatasetRowProblem {
                throw DatasetRowProblem("'rejected_messages': \(problem.description)")
            }
            _ = try PreferenceRow.replyStart(rejected, field: "rejected_messages")
            self = .pair(chosen: messages, rejected: rejected, tools: tools)
        case (.none, let .string(text)):
            let chosenReply = messages[start...]
            if chosenReply.count == 1, chosenReply.first?.content == text {
                throw DatasetRowProblem("'rejected_response' is the same text as the chosen reply")
            }
            self = .pair(chosen: messages, rejected: Array(messages[..<start]) + [DatasetMessage(role: "assistant", content: text)],
                         tools: tools)
        case (.none, let .array(list)):
            let reply: [DatasetMessage]
            do { reply = try DatasetMessage.conversation(list) } catch let problem as DatasetRowProblem {
                throw DatasetRowProblem("'rejected_response': \(problem.description)")
            }
            if let user = reply.firstIndex(where: { $0.role == "user" }) {
                throw DatasetRowProblem("'rejected_response' message \(user) has role 'user' (only the reply may be replaced)")
            }
            let rejected = Array(messages[..<start]) + reply
            _ = try PreferenceRow.replyStart(rejected, field: "rejected_response")
            self = .pair(chosen: messages, rejected: rejected, tools: tools)
        case (.none, _):
            throw DatasetRowProblem("'rejected_response' is not a string or a list of messages")
        case (.array, _):
            throw DatasetRowProblem("both 'rejected_messages' and 'rejected_response'")
        default:
            throw DatasetRowProblem("'rejected_messages' is not a list of messages")
        }
    }

    /// The index after the last `user` or `tool` message (ms-swift's `get_last_user_round` + 1): where the reply
    /// starts. The reply must hold an assistant message.
    static func replyStart(_ messages: [DatasetMessage], field: String) throws -> Int {
        let start = (messages.lastIndex { $0.role == "user" || $0.role == "tool" } ?? -1) + 1
        guard messages[start...].contains(where: { $0.role == "assistant" }) else {
            throw DatasetRowProblem("'\(field)' has no assistant message after its last user or tool message")
        }
        return start
    }

    /// `label`: a boolean, or 0 / 1 (ms-swift's `bool(label)`); nil when absent or null.
    static func label(_ value: JinjaValue?) throws -> Bool? {
        switch value {
        case nil, .none?: return nil
        case let .bool(b)?: return b
        case let .int(n)? where n == 0 || n == 1: return n == 1
        default: throw DatasetRowProblem("'label' is not true, false, 0 or 1")
        }
    }

    /// A pre-tokenized row (`prompt_ids` present).
    static func tokenized(_ dict: JinjaObject, label: Bool?) throws -> PreferenceRow {
        func ids(_ key: String) throws -> [Int]? {
            switch dict[key] {
            case nil, .none?: return nil
            case let .array(items)?:
                return try items.enumerated().map { i, item in
                    guard case let .int(n) = item else {
                        throw DatasetRowProblem("'\(key)' entry \(i) is not an integer")
                    }
                    guard n >= 0 else { throw DatasetRowProblem("'\(key)' entry \(i) is negative (\(n))") }
                    return n
                }
            default: throw DatasetRowProblem("'\(key)' is not a list of integers")
            }
        }
        guard let prompt = try ids("prompt_ids"), !prompt.isEmpty else {
            throw DatasetRowProblem("'prompt_ids' is empty or not a list (the first completion token needs a prompt token before it)")
        }
        func completion(_ key: String) throws -> [Int] {
            guard let c = try ids(key) else { throw DatasetRowProblem("'prompt_ids' without '\(key)'") }
            guard !c.isEmpty else { throw DatasetRowProblem("'\(key)' is empty") }
            return c
        }
        if let label {
            if dict["chosen_ids"] != nil || dict["rejected_ids"] != nil {
                throw DatasetRowProblem("'label' (a KTO row) together with 'chosen_ids' or 'rejected_ids'")
            }
            return .tokenizedUnpaired(promptIDs: prompt, completionIDs: try completion("completion_ids"), desirable: label)
        }
        if dict["completion_ids"] != nil, dict["chosen_ids"] == nil {
            throw DatasetRowProblem("'completion_ids' without 'label'")
        }
        return .tokenizedPair(promptIDs: prompt, chosenIDs: try completion("chosen_ids"),
                              rejectedIDs: try completion("rejected_ids"))
    }
}

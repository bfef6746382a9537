import Foundation

/// The JSON lines ``RewardCommand`` exchanges with its scorer, one request and one answer per batch.
///
/// Request (SwiftTune → scorer's stdin, one line):
///
///     {"id": 0, "inputs": [{"completion": "…", "completion_ids": [1, 2],
///                           "messages": [{"role": "user", "content": "…"}],
///                           "columns": {"solution": "…", …}}, …]}
///
/// Answer (scorer's stdout, one line): `{"id": 0, "scores": [0.5, null, …]}`: one number or `null` (not scored)
/// per input, in order; `id` optional, and when present it must repeat the request's. `{"id": 0, "error": "…"}`
/// reports a failure, which stops training with the message.
enum RewardCommandProtocol {
    struct Message: Encodable {
        let role: String
        let content: String
    }
    struct Input: Encodable {
        let completion: String
        let completion_ids: [Int]
        let messages: [Message]
        let columns: [String: JSONValue]
    }
    struct Request: Encodable {
        let id: Int
        let inputs: [Input]
    }

    static func encode(id: Int, inputs: [RewardInput]) throws -> [UInt8] {
        let request = Request(id: id, inputs: inputs.map {
            Input(completion: $0.completion, completion_ids: $0.completionIDs,
                  messages: $0.prompt.map { Message(role: $0.role, content: $0.content) }, columns: $0.columns)
        })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(request)) + [0x0A]
    }

    /// The scores of an answer line, or the reason it is malformed.
    enum Answer {
        case scores([Double?])
        case error(String)
        case malformed(String)
    }

    static func decode(_ line: [UInt8], id: Int) -> Answer {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(line)) else { return .malformed("not JSON") }
        guard case let .object(object) = value else { return .malformed("not a JSON object") }
        if let got = object["id"], got != .number(Double(id)) {
            return .malformed("id \(got) answers request \(id)")
        }
        if let error = object["error"] { return .error(error.stringValue ?? error.description) }
        guard case let .array(items)? = object["scores"] else { return .malformed("no \"scores\" array") }
        var scores: [Double?] = []
        for (i, item) in items.enumerated() {
            switch item {
            case .null: scores.append(nil)
            case let .number(x) where x.isFinite: scores.append(x)
            default: return .malformed("scores[\(i)] = \(item) is not a number or null")
            }
        }
        return .scores(scores)
    }
}

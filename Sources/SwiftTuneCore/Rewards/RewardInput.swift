import Foundation

/// One completion for a reward function to score.
public struct RewardInput: Sendable, Equatable {
    /// The completion's text (decoded, special tokens removed).
    public var completion: String
    /// The completion's token ids (its length is the completion length `cosine` and `soft_overlong` use).
    public var completionIDs: [Int]
    /// The prompt's messages (the dataset row's `messages`, ending in a user turn).
    public var prompt: [DatasetMessage]
    /// The dataset row's other columns, unchanged (for example `solution`).
    public var columns: [String: JSONValue]

    /// A completion with its prompt and row columns.
    public init(completion: String, completionIDs: [Int], prompt: [DatasetMessage] = [],
                columns: [String: JSONValue] = [:]) {
        self.completion = completion
        self.completionIDs = completionIDs
        self.prompt = prompt
        self.columns = columns
    }

    /// The string in column `name`.
    /// - Throws: ``RewardError/missingColumn(reward:column:row:)`` or ``RewardError/columnType(reward:column:row:expected:got:)``.
    func string(_ name: String, reward: String, row: Int) throws -> String {
        guard let value = columns[name] else { throw RewardError.missingColumn(reward: reward, column: name, row: row) }
        guard case let .string(s) = value else {
            throw RewardError.columnType(reward: reward, column: name, row: row, expected: "a string", got: value.description)
        }
        return s
    }

    /// The reference strings in column `name`: a string, or a non-empty array of strings (several references).
    func references(_ name: String, reward: String, row: Int) throws -> [String] {
        guard let value = columns[name] else { throw RewardError.missingColumn(reward: reward, column: name, row: row) }
        switch value {
        case let .string(s): return [s]
        case let .array(a) where !a.isEmpty && a.allSatisfy({ $0.stringValue != nil }): return a.map { $0.stringValue! }
        default:
            throw RewardError.columnType(reward: reward, column: name, row: row,
                                         expected: "a string or a non-empty array of strings", got: value.description)
        }
    }
}

extension RewardInput {
    /// The columns of a dataset line other than `messages`, for ``columns``.
    /// - Throws: ``RewardError/invalidRow(reason:)`` when the line is not a JSON object.
    public static func columns(fromJSONLine data: Data) throws -> [String: JSONValue] {
        let value: JSONValue
        do { value = try JSONDecoder().decode(JSONValue.self, from: data) } catch { throw RewardError.invalidRow(reason: "not valid JSON (\(error))") }
        guard case var .object(object) = value else { throw RewardError.invalidRow(reason: "not a JSON object") }
        object["messages"] = nil
        return object
    }
}

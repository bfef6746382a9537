import Foundation

/// Typed reads of a request object's fields, each failing with a 400 that names the field.
///
/// `null` reads as absent (OpenAI's clients send `null` for "not given"); fields the reader is never asked about are
/// ignored.
public struct RequestFields: Sendable {
    /// The object's members.
    public let members: [String: JSONInput]
    /// The path of this object inside the request (`""` at the top, `messages[2]` for a message), prefixed to names.
    public let path: String

    /// - Throws: ``APIError`` 400 when `value` is not an object.
    public init(_ value: JSONInput, path: String = "") throws(APIError) {
        guard case let .object(members) = value else {
            throw path.isEmpty ? APIError.badRequest("The request body must be a JSON object, not \(value.typeName).")
                               : APIError.invalidValue(path, "expected an object, got \(value.typeName)")
        }
        self.members = members
        self.path = path
    }

    /// The full name of field `key`, for errors.
    public func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The field's value, `nil` when absent or `null`.
    public subscript(key: String) -> JSONInput? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    public func bool(_ key: String) throws(APIError) -> Bool? {
        guard let value = self[key] else { return nil }
        guard case let .bool(b) = value else { throw APIError.invalidValue(name(key), "expected a boolean, got \(value.typeName)") }
        return b
    }

    public func string(_ key: String) throws(APIError) -> String? {
        guard let value = self[key] else { return nil }
        guard case let .string(s) = value else { throw APIError.invalidValue(name(key), "expected a string, got \(value.typeName)") }
        return s
    }

    /// An integer in `range` (a JSON number without a fractional part).
    public func integer(_ key: String, in range: ClosedRange<Int64>) throws(APIError) -> Int64? {
        guard let value = self[key] else { return nil }
        guard case let .number(_, integer?) = value else {
            throw APIError.invalidValue(name(key), "expected an integer, got \(value.typeName)")
        }
        guard range.contains(integer) else {
            throw APIError.invalidValue(name(key), "\(integer) is out of range; it must be in [\(range.lowerBound), \(range.upperBound)]")
        }
        return integer
    }

    /// An integer in `range`, as `Int`.
    public func int(_ key: String, in range: ClosedRange<Int>) throws(APIError) -> Int? {
        try integer(key, in: Int64(range.lowerBound)...Int64(range.upperBound)).map { Int($0) }
    }

    /// A finite number for which `accept` holds (`requirement` says which).
    public func number(_ key: String, _ requirement: String, _ accept: (Double) -> Bool) throws(APIError) -> Double? {
        guard let value = self[key] else { return nil }
        guard case let .number(n, _) = value else { throw APIError.invalidValue(name(key), "expected a number, got \(value.typeName)") }
        guard n.isFinite, accept(n) else { throw APIError.invalidValue(name(key), "\(WireNumber.text(n)) is out of range; it must be \(requirement)") }
        return n
    }

    /// `stop`: a string or an array of at most `limit` non-empty strings.
    public func stopStrings(_ key: String, limit: Int) throws(APIError) -> [String] {
        guard let value = self[key] else { return [] }
        var out: [String]
        switch value {
        case let .string(s): out = [s]
        case let .array(items):
            guard items.count <= limit else { throw APIError.invalidValue(name(key), "at most \(limit) stop sequences, got \(items.count)") }
            out = []
            for (i, item) in items.enumerated() {
                guard case let .string(s) = item else {
                    throw APIError.invalidValue("\(name(key))[\(i)]", "expected a string, got \(item.typeName)")
                }
                out.append(s)
            }
        default: throw APIError.invalidValue(name(key), "expected a string or an array of strings, got \(value.typeName)")
        }
        if let empty = out.firstIndex(where: \.isEmpty) {
            throw APIError.invalidValue(out.count == 1 && value != .array([.string("")]) ? name(key) : "\(name(key))[\(empty)]",
                                        "a stop sequence must not be empty")
        }
        return out
    }

    /// An array of token ids in `0..<vocabulary`.
    public func tokenIDs(_ value: JSONInput, name: String, vocabulary: Int) throws(APIError) -> [Int] {
        guard case let .array(items) = value else { throw APIError.invalidValue(name, "expected an array of token ids, got \(value.typeName)") }
        var ids: [Int] = []
        ids.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            guard case let .number(_, id?) = item, id >= 0, id < vocabulary else {
                throw APIError.invalidValue("\(name)[\(i)]", "a token id must be an integer in [0, \(vocabulary - 1)]")
            }
            ids.append(Int(id))
        }
        return ids
    }

    /// Refuses `key` when present and not in its harmless form (`harmless` returns true for values that change
    /// nothing, such as `[]` for `tools` or `{"type": "text"}` for `response_format`).
    public func refuse(_ key: String, unless harmless: (JSONInput) -> Bool = { $0.isEmpty }, _ detail: String = "") throws(APIError) {
        guard let value = members[key], !harmless(value) else { return }
        throw APIError.unsupported(name(key), detail)
    }
}

/// Numbers as Python prints them in messages.
enum WireNumber {
    static func text(_ n: Double) -> String {
        n.rounded() == n && Swift.abs(n) < 1e15 ? "\(Int64(n))" : "\(n)"
    }
}

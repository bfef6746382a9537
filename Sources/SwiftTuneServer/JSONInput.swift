import Foundation

/// A parsed JSON request body, kept as a tree so that every field can be checked by name (wrong type, out of range,
/// unsupported) and unknown fields can be ignored.
public enum JSONInput: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    /// A number; `integer` is set when it is written without a fraction or exponent part that changes it and fits
    /// `Int64` exactly.
    case number(Double, integer: Int64?)
    case string(String)
    case array([JSONInput])
    case object([String: JSONInput])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .number(Double(i), integer: i) }
        else if let n = try? c.decode(Double.self) {
            self = .number(n, integer: n.rounded() == n && Swift.abs(n) < 0x1p63 ? Int64(n) : nil)
        }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONInput].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONInput].self)) }
    }

    /// Parses a request body.
    /// - Throws: ``APIError`` 400 when the bytes are not JSON.
    public static func parse(_ data: Data) throws(APIError) -> JSONInput {
        do { return try JSONDecoder().decode(JSONInput.self, from: data) } catch {
            throw APIError.badRequest("The request body is not valid JSON: \(Self.reason(error))")
        }
    }

    private static func reason(_ error: any Error) -> String {
        if case let DecodingError.dataCorrupted(context) = error {
            return (context.underlyingError.map { "\($0.localizedDescription)" } ?? context.debugDescription)
        }
        return "\(error)"
    }

    /// The JSON type's name, for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case let .number(_, integer): return integer == nil ? "number" : "integer"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// `null`, `[]`, `{}` or `""`.
    public var isEmpty: Bool {
        switch self {
        case .null: return true
        case let .array(a): return a.isEmpty
        case let .object(o): return o.isEmpty
        case let .string(s): return s.isEmpty
        default: return false
        }
    }
}

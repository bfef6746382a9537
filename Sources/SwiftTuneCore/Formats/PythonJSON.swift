import Foundation

/// A JSON value written the way Python's `json.dumps` writes it, for files that Python code reads with type
/// checks or that must match Python's bytes: integers and floats stay distinct (`6` vs `6.0`; transformers'
/// `BitsAndBytesConfig` rejects an integer `llm_int8_threshold`), floats use Python's `repr` (`1e-06`, `0.1`),
/// strings are ASCII-escaped, objects keep their key order unless sorted.
///
/// ```swift
/// let text = PythonJSON.object([("quant_type", .string("nf4")), ("blocksize", .int(64))]).serialized()
/// // {"quant_type": "nf4", "blocksize": 64}
/// ```
enum PythonJSON: Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case array([PythonJSON])
    case object([(String, PythonJSON)])

    static func == (a: PythonJSON, b: PythonJSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.float(x), .float(y)): return x.bitPattern == y.bitPattern
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)): return x.map(\.0) == y.map(\.0) && x.map(\.1) == y.map(\.1)
        default: return false
        }
    }

    /// The value of JSON `data` (a number without fraction or exponent is an `.int`; object keys in file order are
    /// not preserved, they come sorted).
    init(parsing data: Data) throws {
        self = try JSONDecoder().decode(Node.self, from: data).value
    }

    /// `json.dumps(value)` (`indent == nil`: one line, separators `", "` and `": "`) or
    /// `json.dumps(value, indent: n)` (separators `","` and `": "`), with `sort_keys` when `sortKeys`.
    func serialized(indent: Int? = nil, sortKeys: Bool = false) -> String {
        var out = ""
        write(into: &out, indent: indent, level: 0, sortKeys: sortKeys)
        return out
    }

    private func write(into out: inout String, indent: Int?, level: Int, sortKeys: Bool) {
        func newline(_ depth: Int) { if let indent { out += "\n" + String(repeating: " ", count: indent * depth) } }
        let separator = indent == nil ? ", " : ","
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(i): out += String(i)
        case let .float(f): out += Self.repr(f)
        case let .string(s): out += Self.quoted(s)
        case let .array(items):
            guard !items.isEmpty else { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += separator }
                newline(level + 1)
                item.write(into: &out, indent: indent, level: level + 1, sortKeys: sortKeys)
            }
            newline(level)
            out += "]"
        case let .object(members):
            guard !members.isEmpty else { out += "{}"; return }
            let ordered = sortKeys ? members.sorted { $0.0 < $1.0 } : members
            out += "{"
            for (i, (key, value)) in ordered.enumerated() {
                if i > 0 { out += separator }
                newline(level + 1)
                out += Self.quoted(key) + ": "
                value.write(into: &out, indent: indent, level: level + 1, sortKeys: sortKeys)
            }
            newline(level)
            out += "}"
        }
    }

    /// A JSON string as `json.dumps` writes it (`ensure_ascii=True`: non-ASCII as `\uXXXX` UTF-16 units).
    static func quoted(_ text: String) -> String {
        var out = "\""
        for unit in text.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(unit)!)
            default: out += "\\u" + String(format: "%04x", unit)
            }
        }
        return out + "\""
    }

    /// Python's `repr(float)` as `json.dumps` writes it: the shortest digits that round-trip (the digits Swift's
    /// `description` finds too), positional for decimal exponents −4 ≤ e < 16 (`0.0001`, `12.5`, `6.0`),
    /// scientific otherwise (`1e-05`, `1.5e+16`); `NaN` / `Infinity` for the specials.
    static func repr(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        let sign = value.sign == .minus ? "-" : ""
        if value == 0 { return sign + "0.0" }
        // Swift prints the shortest round-trip digits positionally or as "d.ddde±x"; keep the digits and the
        // decimal exponent of the first one.
        let parts = value.magnitude.description.split(separator: "e", maxSplits: 1)
        let mantissa = parts[0]
        let exponent = parts.count == 2 ? Int(parts[1])! : 0
        let point = mantissa.firstIndex(of: ".").map { mantissa.distance(from: mantissa.startIndex, to: $0) }
            ?? mantissa.count
        var digits = Array(mantissa.filter { $0 != "." })
        var e = point - 1 + exponent
        while digits.first == "0" { digits.removeFirst(); e -= 1 }
        while digits.last == "0" { digits.removeLast() }
        if e >= -4 && e < 16 {
            if e < 0 { return sign + "0." + String(repeating: "0", count: -e - 1) + String(digits) }
            let whole = digits.count > e + 1 ? String(digits[0...e])
                : String(digits) + String(repeating: "0", count: e + 1 - digits.count)
            let fraction = digits.count > e + 1 ? String(digits[(e + 1)...]) : "0"
            return sign + whole + "." + fraction
        }
        let rest = digits.count > 1 ? "." + String(digits[1...]) : ""
        return sign + String(digits[0]) + rest + "e" + (e < 0 ? "-" : "+") + (abs(e) < 10 ? "0" : "") + String(abs(e))
    }

    /// Decoding: integers first, so `6` stays an integer and `6.5` / `1e-06` become floats.
    private struct Node: Decodable {
        let value: PythonJSON
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { value = .null }
            else if let b = try? c.decode(Bool.self) { value = .bool(b) }
            else if let i = try? c.decode(Int.self) { value = .int(i) }
            else if let d = try? c.decode(Double.self) { value = .float(d) }
            else if let s = try? c.decode(String.self) { value = .string(s) }
            else if let a = try? c.decode([Node].self) { value = .array(a.map(\.value)) }
            else { value = .object(try c.decode([String: Node].self).map { ($0.key, $0.value.value) }.sorted { $0.0 < $1.0 }) }
        }
    }
}

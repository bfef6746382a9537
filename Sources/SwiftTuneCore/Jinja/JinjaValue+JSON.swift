// Template variables from JSON: `init(jsonData:)` parses JSON itself so objects keep the file's key order (as
// Python's `json.loads` does, and as `tojson` and `items()` then reproduce); `init(json:)` converts the output
// of `JSONSerialization`, whose dictionaries have no order (their keys are sorted instead).

import Foundation

extension JinjaValue {
    /// Converts a value produced by `JSONSerialization` (or built from the same Swift and Foundation types:
    /// `NSNull`, `Bool`, `Int`, `Double`, `String`, `NSNumber`, arrays and `[String: Any]` dictionaries).
    ///
    /// Booleans are told apart from numbers by their `NSNumber` type. Dictionary keys come out sorted, since
    /// `[String: Any]` has no order; use ``init(jsonData:)`` to keep a file's order.
    ///
    /// - Throws: ``JinjaError`` (kind ``JinjaError/Kind/type``) for any other type, or nesting deeper than 256.
    public init(json: Any) throws {
        self = try JinjaValue.convert(json, depth: 0)
    }

    /// Parses JSON text (UTF-8), keeping object keys in the order they appear.
    ///
    /// Integers that fit 64 bits become ``int(_:)``, other numbers ``double(_:)``.
    ///
    /// - Throws: ``JinjaError`` (kind ``JinjaError/Kind/type``, template `"<json>"`, the line of the problem)
    ///   for malformed JSON or nesting deeper than 256.
    public init(jsonData: Data) throws {
        var parser = JinjaJSONParser(bytes: [UInt8](jsonData))
        self = try parser.parseDocument()
    }

    private static func convert(_ any: Any, depth: Int) throws -> JinjaValue {
        if depth > maxValueDepth { throw JinjaError(kind: .type, template: "<json>", line: 0, message: "JSON nested too deeply") }
        switch any {
        case is NSNull: return .none
        case let s as String: return .string(s)
        case let n as NSNumber where type(of: any) is NSNumber.Type:
            let kind = String(cString: n.objCType)
            if kind == "c" || kind == "B" { return .bool(n.boolValue) }
            if kind == "d" || kind == "f" { return .double(n.doubleValue) }
            if kind == "Q", n.uint64Value > UInt64(Int.max) { return .double(n.doubleValue) }
            return .int(n.intValue)
        case let b as Bool: return .bool(b)
        case let i as Int: return .int(i)
        case let d as Double: return .double(d)
        case let a as [Any]: return .array(try a.map { try convert($0, depth: depth + 1) })
        case let o as [String: Any]:
            let pairs = o.sorted { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) { $0.value < $1.value } }
            return .object(JinjaObject(try pairs.map { ($0.key, try convert($0.value, depth: depth + 1)) }))
        case let v as JinjaValue: return v
        default:
            throw JinjaError(kind: .type, template: "<json>", line: 0, message: "unsupported JSON value of type \(type(of: any))")
        }
    }
}

/// A small JSON parser (RFC 8259) that keeps object key order.
struct JinjaJSONParser {
    let bytes: [UInt8]
    var i = 0
    var line = 1

    init(bytes: [UInt8]) { self.bytes = bytes }

    func fail(_ message: String) -> JinjaError {
        JinjaError(kind: .type, template: "<json>", line: line, message: message)
    }

    mutating func parseDocument() throws -> JinjaValue {
        skipWhitespace()
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard i == bytes.count else { throw fail("extra data after the JSON value") }
        return value
    }

    mutating func skipWhitespace() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x09, 0x0D: i += 1
            case 0x0A: i += 1; line += 1
            default: return
            }
        }
    }

    mutating func literal(_ word: String, _ value: JinjaValue) throws -> JinjaValue {
        let w = Array(word.utf8)
        guard i + w.count <= bytes.count, Array(bytes[i..<(i + w.count)]) == w else { throw fail("invalid literal") }
        i += w.count
        return value
    }

    mutating func parseValue(depth: Int) throws -> JinjaValue {
        guard depth <= JinjaValue.maxValueDepth else { throw fail("JSON nested too deeply") }
        guard i < bytes.count else { throw fail("unexpected end of JSON") }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            i += 1
            var object = JinjaObject()
            skipWhitespace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(object) }
            while true {
                skipWhitespace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                let key = try parseString()
                skipWhitespace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                i += 1
                skipWhitespace()
                object[key] = try parseValue(depth: depth + 1)
                skipWhitespace()
                guard i < bytes.count else { throw fail("unexpected end of JSON") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(object) }
                throw fail("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            i += 1
            var items: [JinjaValue] = []
            skipWhitespace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                skipWhitespace()
                items.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard i < bytes.count else { throw fail("unexpected end of JSON") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                throw fail("expected ',' or ']'")
            }
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .none)
        case UInt8(ascii: "N"): return try literal("NaN", .double(.nan))
        case UInt8(ascii: "I"): return try literal("Infinity", .double(.infinity))
        default: return try parseNumber()
        }
    }

    mutating func parseNumber() throws -> JinjaValue {
        let start = i
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "I") { _ = try literal("Infinity", .none); return .double(-.infinity) }
        }
        var isInteger = true
        func digits() -> Int {
            let s = i
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }
            return i - s
        }
        guard digits() > 0 else { throw fail("invalid JSON value") }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            isInteger = false
            guard digits() > 0 else { throw fail("invalid number") }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            isInteger = false
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw fail("invalid number") }
        }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        if isInteger, let n = Int(text) { return .int(n) }
        guard let d = Double(text) else { throw fail("invalid number") }
        return .double(d)
    }

    mutating func parseString() throws -> String {
        i += 1
        var out = [UInt8]()
        var pendingHigh: UInt32?
        func appendScalar(_ v: UInt32) {
            if let s = Unicode.Scalar(v) { out.append(contentsOf: Array(String(Character(s)).utf8)) }
            else { out.append(contentsOf: [0xEF, 0xBF, 0xBD]) }
        }
        func flushHigh() {
            if pendingHigh != nil { out.append(contentsOf: [0xEF, 0xBF, 0xBD]); pendingHigh = nil }
        }
        while true {
            guard i < bytes.count else { throw fail("unterminated string") }
            let b = bytes[i]
            if b == UInt8(ascii: "\"") { i += 1; break }
            if b < 0x20 { throw fail("control character in string") }
            if b != UInt8(ascii: "\\") {
                flushHigh()
                out.append(b)
                i += 1
                continue
            }
            guard i + 1 < bytes.count else { throw fail("unterminated string") }
            let e = bytes[i + 1]
            i += 2
            if e == UInt8(ascii: "u") {
                guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16)
                else { throw fail("invalid \\u escape") }
                i += 4
                if let high = pendingHigh {
                    pendingHigh = nil
                    if (0xDC00...0xDFFF).contains(v) {
                        appendScalar(0x10000 + ((high - 0xD800) << 10) + (v - 0xDC00))
                        continue
                    }
                    out.append(contentsOf: [0xEF, 0xBF, 0xBD])
                }
                if (0xD800...0xDBFF).contains(v) { pendingHigh = v } else { appendScalar(v) }
                continue
            }
            flushHigh()
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            default: throw fail("invalid escape")
            }
        }
        flushHigh()
        return String(decoding: out, as: UTF8.self)
    }
}

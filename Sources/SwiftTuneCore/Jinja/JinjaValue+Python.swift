// Python's view of Jinja values: truthiness, `str()`, `repr()`, `==`, `<` and type names, so that output and
// comparisons match what Jinja2 (which is Python) produces byte for byte.

import Foundation

extension JinjaValue {
    /// Python's `bool(x)`: empty strings, lists and dicts, zero, None and Undefined are false.
    var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .array(let a): return !a.isEmpty
        case .object(let o): return o.count > 0
        case .opaque: return markupText.map { !$0.isEmpty } ?? true
        }
    }

    /// The Python type name used in error messages (`'str'`, `'NoneType'`, …).
    var typeName: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .array: return "list"
        case .object: return "dict"
        case .opaque(let o): return o.storage.typeName
        }
    }

    var isUndefined: Bool { if case .undefined = self { return true } else { return false } }

    /// Python's `str(x)`; Undefined prints as "".
    func pythonString(depth: Int = 0) throws -> String {
        switch self {
        case .undefined: return ""
        case .string(let s): return s
        default: return try markupText ?? pythonRepr(depth: depth)
        }
    }

    /// Python's `repr(x)`: `'text'`, `None`, `True`, `1.0`, `[1, 'a']`, `{'k': 'v'}`; with `sortKeys`, dicts
    /// in key order (as `pprint` prints them).
    func pythonRepr(depth: Int = 0, sortKeys: Bool = false) throws -> String {
        if depth > JinjaValue.maxValueDepth { throw JinjaError.bare(.limit, "value nested too deeply to print") }
        switch self {
        case .undefined: return "Undefined"
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d): return JinjaValue.pythonFloatRepr(d)
        case .string(let s): return JinjaValue.pythonStringRepr(s)
        case .array(let items):
            return "[" + (try items.map { try $0.pythonRepr(depth: depth + 1, sortKeys: sortKeys) }).joined(separator: ", ") + "]"
        case .object(let o):
            var pairs = Array(o.entries)
            if sortKeys { pairs.sort { (try? $0.0.pythonLess($1.0)) ?? false } }
            let parts = try pairs.map { key, value in
                (try key.pythonRepr(depth: depth + 1)) + ": " + (try value.pythonRepr(depth: depth + 1, sortKeys: sortKeys))
            }
            return "{" + parts.joined(separator: ", ") + "}"
        case .opaque(let o): return o.storage.repr
        }
    }

    /// How deep arrays and objects may nest when printed, compared or serialized.
    static let maxValueDepth = 256

    /// Python's `repr(float)`: the shortest round-trip digits, in positional notation when the decimal
    /// exponent is in [-4, 16), otherwise as `1e-05` / `1.5e+16`.
    static func pythonFloatRepr(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
        // Swift's description has the same shortest digits; only its notation thresholds differ.
        var text = Substring(d.magnitude.description)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = text[..<e]
        }
        var digits = ""
        var pointPosition = text.count
        for (i, c) in text.enumerated() {
            if c == "." { pointPosition = i } else { digits.append(c) }
        }
        // value = 0.digits × 10^decimalPoint after removing leading zeros.
        var decimalPoint = pointPosition + exponent
        while digits.count > 1, digits.first == "0" {
            digits.removeFirst()
            decimalPoint -= 1
        }
        while digits.count > 1, digits.last == "0" { digits.removeLast() }
        let sign = d < 0 ? "-" : ""
        if decimalPoint > -4, decimalPoint <= 16 {
            if decimalPoint <= 0 { return sign + "0." + String(repeating: "0", count: -decimalPoint) + digits }
            if decimalPoint >= digits.count {
                return sign + digits + String(repeating: "0", count: decimalPoint - digits.count) + ".0"
            }
            let cut = digits.index(digits.startIndex, offsetBy: decimalPoint)
            return sign + digits[..<cut] + "." + digits[cut...]
        }
        let e = decimalPoint - 1
        let mantissa = digits.count > 1 ? String(digits.prefix(1)) + "." + digits.dropFirst() : digits
        let exponentText = String(abs(e))
        return sign + mantissa + "e" + (e < 0 ? "-" : "+") + (exponentText.count < 2 ? "0" : "") + exponentText
    }

    /// Python's `repr(str)`: single quotes unless the text has `'` and no `"`; escapes for `\\`, the quote,
    /// `\n \r \t` and non-printable characters.
    static func pythonStringRepr(_ s: String) -> String {
        let quote: Unicode.Scalar = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        var out = String.UnicodeScalarView()
        out.append(quote)
        for c in s.unicodeScalars {
            switch c {
            case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            case "\t": out.append(contentsOf: "\\t".unicodeScalars)
            default:
                if c == quote {
                    out.append("\\")
                    out.append(c)
                } else if c.jinjaIsPrintable {
                    out.append(c)
                } else {
                    let hex = String(c.value, radix: 16)
                    let form = c.value < 0x100 ? "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
                        : c.value < 0x10000 ? "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                        : "\\U" + String(repeating: "0", count: 8 - hex.count) + hex
                    out.append(contentsOf: form.unicodeScalars)
                }
            }
        }
        out.append(quote)
        return String(out)
    }

    // MARK: - Comparison

    /// The number a bool, int or float stands for in arithmetic and comparisons.
    enum Number {
        case int(Int)
        case double(Double)

        var asDouble: Double {
            switch self {
            case .int(let i): return Double(i)
            case .double(let d): return d
            }
        }
    }

    var number: Number? {
        switch self {
        case .bool(let b): return .int(b ? 1 : 0)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        default: return nil
        }
    }

    /// Python's `==` (`1 == 1.0 == True`, dicts ignore order, Undefined equals only Undefined).
    func pythonEquals(_ other: JinjaValue, depth: Int = 0) throws -> Bool {
        if depth > JinjaValue.maxValueDepth { throw JinjaError.bare(.limit, "value nested too deeply to compare") }
        switch (plain, other.plain) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let a), .string(let b)): return a.utf8.elementsEqual(b.utf8)
        case (.array(let a), .array(let b)):
            guard a.count == b.count else { return false }
            for (x, y) in zip(a, b) where !(try x.pythonEquals(y, depth: depth + 1)) { return false }
            return true
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            for (key, value) in a.entries {
                guard let v = b.value(for: key), try value.pythonEquals(v, depth: depth + 1) else { return false }
            }
            return true
        case (.opaque(let a), .opaque(let b)): return a == b
        default:
            guard let x = number, let y = other.number else { return false }
            switch (x, y) {
            case (.int(let i), .int(let j)): return i == j
            case (.int(let i), .double(let d)), (.double(let d), .int(let i)): return JinjaValue.exactlyEqual(i, d)
            case (.double(let a), .double(let b)): return a == b
            }
        }
    }

    /// Python compares int and float exactly (2**53 + 1 != 2.0**53).
    static func exactlyEqual(_ i: Int, _ d: Double) -> Bool {
        guard d.isFinite, d.rounded(.towardZero) == d, let j = Int(exactly: d) else { return false }
        return i == j
    }

    /// Python's `<`: numbers, strings by code point, lists lexicographically; other pairs are a TypeError.
    func pythonLess(_ other: JinjaValue, op: String = "<", depth: Int = 0) throws -> Bool {
        if depth > JinjaValue.maxValueDepth { throw JinjaError.bare(.limit, "value nested too deeply to compare") }
        switch (plain, other.plain) {
        case (.string(let a), .string(let b)):
            return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) { $0.value < $1.value }
        case (.array(let a), .array(let b)):
            for (x, y) in zip(a, b) where !(try x.pythonEquals(y, depth: depth + 1)) {
                return try x.pythonLess(y, op: op, depth: depth + 1)
            }
            return a.count < b.count
        default:
            guard let x = number, let y = other.number else {
                if isUndefined || other.isUndefined { throw JinjaError.bare(.undefinedName, "value is undefined") }
                throw JinjaError.type("'\(op)' not supported between instances of '\(typeName)' and '\(other.typeName)'")
            }
            switch (x, y) {
            case (.int(let i), .int(let j)): return i < j
            case (.int(let i), .double(let d)): return JinjaValue.intLessThanDouble(i, d)
            case (.double(let d), .int(let i)): return JinjaValue.doubleLessThanInt(d, i)
            case (.double(let a), .double(let b)): return a < b
            }
        }
    }

    static func intLessThanDouble(_ i: Int, _ d: Double) -> Bool {
        if d.isNaN { return false }
        if d >= 9.3e18 { return true }
        if d <= -9.3e18 { return false }
        let f = d.rounded(.down)
        let j = Int(f)
        return i < j || (i == j && f < d)
    }

    static func doubleLessThanInt(_ d: Double, _ i: Int) -> Bool {
        if d.isNaN { return false }
        if d >= 9.3e18 { return false }
        if d <= -9.3e18 { return true }
        let c = d.rounded(.up)
        let j = Int(c)
        return j < i || (j == i && d < c)
    }
}

extension Unicode.Scalar {
    /// Python's `str.isprintable()` for one character: not in categories Cc, Cf, Cs, Co, Cn, Zl, Zp, and not
    /// a space separator other than the ASCII space.
    var jinjaIsPrintable: Bool {
        if value >= 0x20 && value < 0x7F { return true }
        switch properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator,
             .spaceSeparator:
            return false
        default:
            return true
        }
    }
}

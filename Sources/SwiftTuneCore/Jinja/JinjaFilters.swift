// Jinja2's built-in filters (jinja2/filters.py, 3.1) with transformers' `tojson`. Filters that take or return
// sequences are in JinjaFilters+Sequences.swift. Like Jinja2's, `map`, `select`, `reject`, `selectattr`,
// `rejectattr`, `unique`, `batch`, `slice`, `items` and `reverse` return one-shot iterators, not lists (so
// `| length` on them is an error and they are always truthy; templates add `| list`).

import Foundation

enum JinjaFilters {
    /// Every filter name Jinja2 3.1 defines (plus transformers' `tojson`): a template naming one of them
    /// parses; the few SwiftTune does not implement fail when they run.
    static let known: Set<String> = [
        "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape",
        "filesizeformat", "first", "float", "forceescape", "format", "groupby", "indent", "int", "join", "last",
        "length", "list", "lower", "items", "map", "min", "max", "pprint", "random", "reject", "rejectattr",
        "replace", "reverse", "round", "safe", "select", "selectattr", "slice", "sort", "string", "striptags",
        "sum", "title", "trim", "truncate", "unique", "upper", "urlencode", "urlize", "wordcount", "wordwrap",
        "xmlattr", "tojson",
    ]
}

extension JinjaEvaluator {
    /// Runs filter `name` on `value`.
    func applyFilter(_ name: String, to original: JinjaValue, _ rawArguments: JinjaArguments) throws -> JinjaValue {
        let value = original.plain
        let arguments = JinjaArguments(positional: rawArguments.positional.map(\.plain),
                                       keywords: rawArguments.keywords.map { ($0.name, $0.value.plain) })
        if let markup = original.markupText {
            // The filters markupsafe's `Markup` passes through (the rest see a plain string).
            switch name {
            case "safe", "string", "e", "escape": return original
            case "upper", "lower", "trim", "capitalize", "center", "indent":
                if case .string(let s) = try applyFilter(name, to: value, arguments) { return .markup(s) }
            case "format":
                let values: JinjaValue = rawArguments.keywords.isEmpty ? .array(rawArguments.positional)
                    : .object(JinjaObject(rawArguments.keywords.map { ($0.name, $0.value) }))
                return .markup(try JinjaFormat.printf(markup, try JinjaOperators.escapeArguments(values)))
            default: break
            }
        }
        if let result = try applySequenceFilter(name, to: value, arguments) { return result }
        func bind(_ names: [String]) throws -> [JinjaValue?] { try arguments.bind(name, names) }
        func str() throws -> String { try value.pythonString() }
        switch name {
        case "abs":
            _ = try bind([])
            switch value.number {
            case .int(let i)?:
                guard i != .min else { throw JinjaOperators.overflowError() }
                return .int(abs(i))
            case .double(let d)?: return .double(abs(d))
            case nil: throw JinjaError.type("bad operand type for abs(): '\(value.typeName)'")
            }
        case "attr":
            guard case .string(let attribute)? = try bind(["name"])[0] else { throw JinjaError.type("attr() requires a name") }
            if case .object = value {
                return JinjaMethods.has(attribute, on: value) ? self.attribute(of: value, attribute) : .undefined
            }
            return self.attribute(of: value, attribute)
        case "capitalize": _ = try bind([]); return .string(JinjaStrings.capitalize(try str()))
        case "center":
            let width = try bind(["width"])[0]?.integerIndex ?? 80
            try checkSize(width)
            return .string(JinjaStrings.center(try str(), width))
        case "count", "length":
            _ = try bind([])
            return .int(try length(value))
        case "d", "default":
            let a = try bind(["default_value", "boolean"])
            if value.isUndefined || (a[1]?.isTruthy ?? false) && !value.isTruthy { return a[0] ?? .string("") }
            return value
        case "e", "escape", "forceescape":
            _ = try bind([])
            return .markup(JinjaEvaluator.htmlEscape(try str()))
        case "float":
            let fallback = try bind(["default"])[0] ?? .double(0)
            if value.isUndefined { throw JinjaError.bare(.undefinedName, "value is undefined") }
            return JinjaEvaluator.pythonFloat(value).map { .double($0) } ?? fallback
        case "int":
            let a = try bind(["default", "base"])
            if value.isUndefined { throw JinjaError.bare(.undefinedName, "value is undefined") }
            return try JinjaEvaluator.pythonInt(value, base: a[1]?.integerIndex ?? 10).map { .int($0) } ?? (a[0] ?? .int(0))
        case "format":
            if !arguments.positional.isEmpty, !arguments.keywords.isEmpty {
                throw JinjaError.type("can't handle positional and keyword arguments at the same time")
            }
            let values: JinjaValue = arguments.keywords.isEmpty ? .array(arguments.positional)
                : .object(JinjaObject(arguments.keywords.map { ($0.name, $0.value) }))
            return .string(try JinjaFormat.printf(try str(), values))
        case "indent":
            let a = try bind(["width", "first", "blank"])
            if value.isUndefined { throw JinjaError.bare(.undefinedName, "value is undefined") }
            let indentation: String
            if case .string(let s)? = a[0] { indentation = s } else {
                let n = a[0]?.integerIndex ?? 4
                try checkSize(n)
                indentation = String(repeating: " ", count: max(n, 0))
            }
            return .string(try JinjaEvaluator.indent(try str(), indentation, first: a[1]?.isTruthy ?? false,
                                                     blank: a[2]?.isTruthy ?? false, limit: limits.maxOutputBytes))
        case "lower": _ = try bind([]); return .string(JinjaStrings.lower(try str()))
        case "upper": _ = try bind([]); return .string(JinjaStrings.upper(try str()))
        case "title": _ = try bind([]); return .string(JinjaStrings.jinjaTitle(try str()))
        case "pprint": _ = try bind([]); return .string(try value.pythonRepr(sortKeys: true))
        case "replace":
            let a = try bind(["old", "new", "count"])
            guard let old = a[0], let new = a[1] else { throw JinjaError.type("replace() missing required arguments") }
            let count = a[2]?.integerIndex ?? -1
            return .string(try JinjaStrings.replace(try str(), try old.pythonString(), try new.pythonString(),
                                                    count: count, limit: limits.maxOutputBytes))
        case "round":
            let a = try bind(["precision", "method"])
            let precision = a[0]?.integerIndex ?? 0
            let method = try a[1]?.pythonString() ?? "common"
            guard ["common", "ceil", "floor"].contains(method) else {
                throw JinjaError.type("method must be common, ceil or floor")
            }
            return try JinjaEvaluator.round(value, precision: precision, method: method)
        case "safe":
            _ = try bind([])
            return .markup(try str())
        case "string":
            _ = try bind([])
            return .string(try str())
        case "trim":
            let chars = try bind(["chars"])[0]
            let set: String? = try chars.flatMap { if case .none = $0 { return nil } else { return try $0.pythonString() } }
            return .string(JinjaStrings.strip(try str(), set, leading: true, trailing: true))
        case "truncate":
            let a = try bind(["length", "killwords", "end", "leeway"])
            let length = a[0]?.integerIndex ?? 255
            let killWords = a[1]?.isTruthy ?? false
            let end = try a[2]?.pythonString() ?? "..."
            let leeway = a[3]?.integerIndex ?? 5
            let scalars = Array(try str().unicodeScalars)
            let endCount = end.unicodeScalars.count
            guard length >= endCount else { throw JinjaError.type("expected length >= \(endCount), got \(length)") }
            guard leeway >= 0 else { throw JinjaError.type("expected leeway >= 0, got \(leeway)") }
            if scalars.count - leeway <= length { return .string(JinjaStrings.scalarString(scalars[...])) }
            let kept = JinjaStrings.scalarString(scalars.prefix(length - endCount))
            if killWords { return .string(kept + end) }
            return .string(((try JinjaStrings.rsplit(kept, " ", maxSplit: 1)).first ?? kept) + end)
        case "wordcount":
            _ = try bind([])
            var words = 0
            var inWord = false
            for c in try str().unicodeScalars {
                let isWord = c == "_" || c.properties.isAlphabetic || c.properties.numericType != nil
                if isWord, !inWord { words += 1 }
                inWord = isWord
            }
            return .int(words)
        case "tojson":
            let a = try bind(["ensure_ascii", "indent", "separators", "sort_keys"])
            var indent: String?
            switch a[1] {
            case nil, .none?: indent = nil
            case .string(let s)?: indent = s
            case let other?:
                guard let n = other.integerIndex else { throw JinjaError.type("indent must be an int or a string") }
                try checkSize(n)
                indent = String(repeating: " ", count: max(n, 0))
            }
            var separators: (String, String)?
            if let s = a[2], case .array(let pair) = s {
                guard pair.count == 2, case .string(let item) = pair[0], case .string(let key) = pair[1] else {
                    throw JinjaError.type("separators must be a pair of strings")
                }
                separators = (item, key)
            }
            var style = JinjaValue.JSONStyle(indent: indent, separators: separators, sortKeys: a[3]?.isTruthy ?? false)
            style.ensureASCII = a[0]?.isTruthy ?? false
            return .string(try value.pythonJSON(style, limit: limits.maxOutputBytes))
        default:
            throw JinjaError.bare(.unknownFilter, JinjaFilters.known.contains(name)
                ? "the '\(name)' filter is not supported by SwiftTune" : "No filter named '\(name)' found.")
        }
    }

    /// markupsafe's `escape`.
    static func htmlEscape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// Jinja2 3.x `indent`: the text plus a newline is split into lines; lines after the first are indented
    /// unless blank (or always with `blank`); the first only with `first`. A trailing newline is dropped.
    static func indent(_ s: String, _ indentation: String, first: Bool, blank: Bool, limit: Int) throws -> String {
        let lines = JinjaStrings.splitLines(s + "\n")
        var rv: String
        if blank {
            rv = lines.joined(separator: "\n" + indentation)
        } else {
            rv = lines.first ?? ""
            let rest = lines.dropFirst()
            if !rest.isEmpty {
                rv += "\n" + rest.map { $0.isEmpty ? $0 : indentation + $0 }.joined(separator: "\n")
            }
        }
        if first { rv = indentation + rv }
        if rv.utf8.count > limit { throw JinjaError.bare(.limit, "string exceeds \(limit) bytes") }
        return rv
    }

    /// Python's `float(x)` or nil where it raises TypeError / ValueError.
    static func pythonFloat(_ value: JinjaValue) -> Double? {
        switch value {
        case .bool, .int, .double: return value.number?.asDouble
        case .string(let s):
            let t = JinjaStrings.strip(s, nil, leading: true, trailing: true).replacingOccurrences(of: "_", with: "")
            switch t.lowercased() {
            case "inf", "+inf", "infinity", "+infinity": return .infinity
            case "-inf", "-infinity": return -.infinity
            case "nan", "+nan", "-nan": return .nan
            default: break
            }
            guard !t.isEmpty, t.unicodeScalars.allSatisfy({ $0.jinjaIsDigit || "+-.eE".unicodeScalars.contains($0) }) else { return nil }
            return Double(t)
        default: return nil
        }
    }

    /// Jinja2's `int` filter: `int(value, base)` for strings, `int(value)` otherwise, then `int(float(value))`.
    static func pythonInt(_ value: JinjaValue, base: Int) throws -> Int? {
        switch value {
        case .bool, .int: return value.integerIndex
        case .double(let d):
            guard d.isFinite else { throw JinjaError.type("cannot convert float infinity or NaN to integer") }
            return Int(exactly: d.rounded(.towardZero))
        case .string(let s):
            var t = JinjaStrings.strip(s, nil, leading: true, trailing: true)
            var negative = false
            if t.hasPrefix("-") || t.hasPrefix("+") { negative = t.hasPrefix("-"); t.removeFirst() }
            var radix = base
            let lower = t.lowercased()
            for (prefix, r) in [("0x", 16), ("0o", 8), ("0b", 2)] where lower.hasPrefix(prefix) && (base == r || base == 0) {
                radix = r
                t.removeFirst(2)
                if t.hasPrefix("_") { t.removeFirst() }
            }
            if radix == 0 { radix = 10 }
            let digits = t.replacingOccurrences(of: "_", with: "")
            if !t.hasPrefix("_"), !t.hasSuffix("_"), !t.contains("__"), (2...36).contains(radix), !digits.isEmpty,
               let magnitude = Int(digits, radix: radix) {
                return negative ? -magnitude : magnitude
            }
            guard let d = pythonFloat(value), d.isFinite else { return nil }
            return Int(exactly: d.rounded(.towardZero))
        default:
            return nil
        }
    }

    /// Python's `round(x, n)` (ties to even on the exact binary value, ints stay ints) and Jinja2's
    /// `ceil` / `floor` methods (always floats).
    static func round(_ value: JinjaValue, precision: Int, method: String) throws -> JinjaValue {
        guard let number = value.number else {
            if value.isUndefined { throw JinjaError.bare(.undefinedName, "value is undefined") }
            throw JinjaError.type("type \(value.typeName) doesn't define __round__ method")
        }
        let scale = Foundation.pow(10.0, Double(precision))
        if method != "common" {
            let x = number.asDouble * scale
            return .double((method == "ceil" ? x.rounded(.up) : x.rounded(.down)) / scale)
        }
        if case .int(let i) = number {
            guard precision < 0 else { return .int(i) }
            let p = Foundation.pow(10.0, -Double(precision))
            let r = (Double(i) / p).rounded(.toNearestOrEven) * p
            return .int(Int(exactly: r) ?? i)
        }
        let d = number.asDouble
        guard d.isFinite else { return .double(d) }
        if precision >= 0 {
            if precision > 300 { return .double(d) }
            return .double(Double(String(format: "%.\(precision)f", d)) ?? d)
        }
        let p = Foundation.pow(10.0, -Double(precision))
        return .double((d / p).rounded(.toNearestOrEven) * p)
    }
}

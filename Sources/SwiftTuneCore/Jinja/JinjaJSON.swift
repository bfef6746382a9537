// The `tojson` filter as transformers defines it: `json.dumps(x, ensure_ascii=False, indent=indent,
// separators=separators, sort_keys=sort_keys)`. Python's encoder: `", "` and `": "` between items without an
// indent, `","` plus a newline and the indent with one; floats as `repr(float)`; `NaN` / `Infinity`; strings
// escape only `"`, `\\` and control characters (ensure_ascii=False keeps every other character as is).

extension JinjaValue {
    /// Options of `json.dumps`.
    struct JSONStyle {
        /// `None` (one line) or the text of one indentation level.
        var indent: String?
        var itemSeparator: String
        var keySeparator: String
        var sortKeys: Bool
        /// Escape every non-ASCII character as `\uXXXX` (surrogate pairs above U+FFFF).
        var ensureASCII = false

        init(indent: String? = nil, separators: (String, String)? = nil, sortKeys: Bool = false) {
            self.indent = indent
            self.itemSeparator = separators?.0 ?? (indent == nil ? ", " : ",")
            self.keySeparator = separators?.1 ?? ": "
            self.sortKeys = sortKeys
        }
    }

    /// `json.dumps(self, ensure_ascii=False, …)`.
    func pythonJSON(_ style: JSONStyle = JSONStyle(), limit: Int = .max) throws -> String {
        var out = ""
        try writeJSON(into: &out, style: style, level: 0, limit: limit)
        return out
    }

    private func writeJSON(into out: inout String, style: JSONStyle, level: Int, limit: Int) throws {
        if level > JinjaValue.maxValueDepth { throw JinjaError.bare(.limit, "value nested too deeply for tojson") }
        if out.utf8.count > limit { throw JinjaError.bare(.limit, "tojson output exceeds \(limit) bytes") }
        switch self {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if d.isNaN { out += "NaN" } else if d.isInfinite { out += d < 0 ? "-Infinity" : "Infinity" } else {
                out += JinjaValue.pythonFloatRepr(d)
            }
        case .string(let s): JinjaValue.writeJSONString(s, into: &out, ascii: style.ensureASCII)
        case .array(let items):
            guard !items.isEmpty else { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += style.itemSeparator }
                JinjaValue.newline(into: &out, style: style, level: level + 1)
                try item.writeJSON(into: &out, style: style, level: level + 1, limit: limit)
            }
            JinjaValue.newline(into: &out, style: style, level: level)
            out += "]"
        case .object(let object):
            guard object.count > 0 else { out += "{}"; return }
            var pairs = try object.entries.map { (try JinjaValue.jsonKey($0), $1) }
            if style.sortKeys {
                pairs.sort { $0.0.unicodeScalars.lexicographicallyPrecedes($1.0.unicodeScalars) { $0.value < $1.value } }
            }
            out += "{"
            for (i, (key, value)) in pairs.enumerated() {
                if i > 0 { out += style.itemSeparator }
                JinjaValue.newline(into: &out, style: style, level: level + 1)
                JinjaValue.writeJSONString(key, into: &out, ascii: style.ensureASCII)
                out += style.keySeparator
                try value.writeJSON(into: &out, style: style, level: level + 1, limit: limit)
            }
            JinjaValue.newline(into: &out, style: style, level: level)
            out += "}"
        case .opaque where markupText != nil:
            JinjaValue.writeJSONString(markupText ?? "", into: &out, ascii: style.ensureASCII)
        case .undefined, .opaque:
            throw JinjaError.type("Object of type \(typeName) is not JSON serializable")
        }
    }

    /// `json.dumps` turns non-string keys into strings: `true`, `false`, `null`, ints, float reprs.
    static func jsonKey(_ key: JinjaValue) throws -> String {
        switch key {
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .none: return "null"
        case .int(let i): return String(i)
        case .double(let d): return try JinjaValue.double(d).pythonJSON()
        default: throw JinjaError.type("keys must be str, int, float, bool or None, not \(key.typeName)")
        }
    }

    private static func newline(into out: inout String, style: JSONStyle, level: Int) {
        guard let indent = style.indent else { return }
        out += "\n"
        for _ in 0..<level { out += indent }
    }

    static func writeJSONString(_ s: String, into out: inout String, ascii: Bool = false) {
        out += "\""
        var plainStart = s.unicodeScalars.startIndex
        var i = plainStart
        let scalars = s.unicodeScalars
        while i < scalars.endIndex {
            let c = scalars[i]
            let escape: String?
            switch c {
            case "\"": escape = "\\\""
            case "\\": escape = "\\\\"
            case "\n": escape = "\\n"
            case "\r": escape = "\\r"
            case "\t": escape = "\\t"
            case "\u{08}": escape = "\\b"
            case "\u{0C}": escape = "\\f"
            default:
                if c.value < 0x20 || (ascii && c.value > 0x7E) {
                    func u(_ v: UInt32) -> String {
                        let hex = String(v, radix: 16)
                        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    }
                    if c.value > 0xFFFF {
                        let v = c.value - 0x10000
                        escape = u(0xD800 + (v >> 10)) + u(0xDC00 + (v & 0x3FF))
                    } else {
                        escape = u(c.value)
                    }
                } else {
                    escape = nil
                }
            }
            if let escape {
                out.unicodeScalars.append(contentsOf: scalars[plainStart..<i])
                out += escape
                plainStart = scalars.index(after: i)
            }
            i = scalars.index(after: i)
        }
        out.unicodeScalars.append(contentsOf: scalars[plainStart..<scalars.endIndex])
        out += "\""
    }
}

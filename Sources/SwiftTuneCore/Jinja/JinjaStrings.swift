// Python's `str` methods on Swift strings. Searching works on UTF-8 bytes (a match of valid UTF-8 in valid
// UTF-8 always starts on a code point boundary); positions reported to templates count code points, as
// Python's do. Whitespace is Python's `str.isspace()` set.

enum JinjaStrings {
    /// The first byte offset of `needle` in `haystack` at or after `start`.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int = 0) -> Int? {
        let n = needle.count
        guard n > 0 else { return start <= haystack.count ? start : nil }
        guard haystack.count >= n else { return nil }
        var i = start
        let first = needle[0]
        while i + n <= haystack.count {
            if haystack[i] == first {
                var j = 1
                while j < n, haystack[i + j] == needle[j] { j += 1 }
                if j == n { return i }
            }
            i += 1
        }
        return nil
    }

    /// The last byte offset of `needle` in `haystack`.
    static func findLast(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        let n = needle.count
        guard haystack.count >= n else { return nil }
        var i = haystack.count - n
        while i >= 0 {
            if Array(haystack[i..<(i + n)]) == needle { return i }
            i -= 1
        }
        return nil
    }

    /// Code points in the first `offset` bytes.
    static func scalarIndex(_ bytes: [UInt8], _ offset: Int) -> Int {
        var count = 0
        for b in bytes[0..<offset] where b & 0xC0 != 0x80 { count += 1 }
        return count
    }

    static func string(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

    // MARK: - strip, split, replace

    static func strip(_ s: String, _ chars: String?, leading: Bool, trailing: Bool) -> String {
        let scalars = Array(s.unicodeScalars)
        let set = chars.map { Set($0.unicodeScalars) }
        func strippable(_ c: Unicode.Scalar) -> Bool { set?.contains(c) ?? c.jinjaIsSpace }
        var a = 0
        var b = scalars.count
        if leading { while a < b, strippable(scalars[a]) { a += 1 } }
        if trailing { while b > a, strippable(scalars[b - 1]) { b -= 1 } }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[a..<b])
        return String(view)
    }

    /// `str.split(sep, maxsplit)`; `sep == nil` splits on runs of whitespace and drops empty ends.
    static func split(_ s: String, _ separator: String?, maxSplit: Int) throws -> [String] {
        guard let separator else {
            let scalars = Array(s.unicodeScalars)
            var parts: [String] = []
            var i = 0
            while i < scalars.count {
                while i < scalars.count, scalars[i].jinjaIsSpace { i += 1 }
                guard i < scalars.count else { break }
                if maxSplit >= 0, parts.count == maxSplit {
                    parts.append(scalarString(scalars[i...]))
                    return parts
                }
                let start = i
                while i < scalars.count, !scalars[i].jinjaIsSpace { i += 1 }
                parts.append(scalarString(scalars[start..<i]))
            }
            return parts
        }
        let sep = Array(separator.utf8)
        guard !sep.isEmpty else { throw JinjaError.type("empty separator") }
        let bytes = Array(s.utf8)
        var parts: [String] = []
        var start = 0
        while maxSplit < 0 || parts.count < maxSplit, let at = find(sep, in: bytes, from: start) {
            parts.append(string(bytes[start..<at]))
            start = at + sep.count
        }
        parts.append(string(bytes[start...]))
        return parts
    }

    /// `str.rsplit(sep, maxsplit)`.
    static func rsplit(_ s: String, _ separator: String?, maxSplit: Int) throws -> [String] {
        if maxSplit < 0 { return try split(s, separator, maxSplit: -1) }
        guard let separator else {
            let reversed = String(String.UnicodeScalarView(s.unicodeScalars.reversed()))
            return try split(reversed, nil, maxSplit: maxSplit).reversed()
                .map { String(String.UnicodeScalarView($0.unicodeScalars.reversed())) }
        }
        let sep = Array(separator.utf8)
        guard !sep.isEmpty else { throw JinjaError.type("empty separator") }
        var bytes = Array(s.utf8)
        var parts: [String] = []
        while parts.count < maxSplit, let at = findLast(sep, in: bytes) {
            parts.append(string(bytes[(at + sep.count)...]))
            bytes = Array(bytes[..<at])
        }
        parts.append(string(bytes[...]))
        return parts.reversed()
    }

    static func scalarString(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    /// `str.replace(old, new, count)`; an empty `old` inserts `new` around every code point, as Python does.
    static func replace(_ s: String, _ old: String, _ new: String, count: Int, limit: Int) throws -> String {
        if old.isEmpty {
            var out = ""
            var n = 0
            for c in s.unicodeScalars {
                if count < 0 || n < count { out += new; n += 1 }
                out.unicodeScalars.append(c)
                if out.utf8.count > limit { throw JinjaError.bare(.limit, "string exceeds \(limit) bytes") }
            }
            if count < 0 || n < count { out += new }
            return out
        }
        let bytes = Array(s.utf8)
        let o = Array(old.utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var start = 0
        var n = 0
        while count < 0 || n < count, let at = find(o, in: bytes, from: start) {
            out += bytes[start..<at]
            out += new.utf8
            start = at + o.count
            n += 1
            if out.count > limit { throw JinjaError.bare(.limit, "string exceeds \(limit) bytes") }
        }
        out += bytes[start...]
        return String(decoding: out, as: UTF8.self)
    }

    static func count(_ s: String, _ needle: String) -> Int {
        let n = Array(needle.utf8)
        let bytes = Array(s.utf8)
        if n.isEmpty { return s.unicodeScalars.count + 1 }
        var c = 0
        var start = 0
        while let at = find(n, in: bytes, from: start) {
            c += 1
            start = at + n.count
        }
        return c
    }

    /// `str.splitlines(keepends)`: Python's line boundaries, `\r\n` counting as one.
    static func splitLines(_ s: String, keepEnds: Bool = false) -> [String] {
        let scalars = Array(s.unicodeScalars)
        var lines: [String] = []
        var start = 0
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            let isBreak: Bool
            switch c.value {
            case 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029: isBreak = true
            default: isBreak = false
            }
            if isBreak {
                var end = i + 1
                if c == "\r", end < scalars.count, scalars[end] == "\n" { end += 1 }
                lines.append(scalarString(scalars[start..<(keepEnds ? end : i)]))
                start = end
                i = end
            } else {
                i += 1
            }
        }
        if start < scalars.count { lines.append(scalarString(scalars[start...])) }
        return lines
    }

    // MARK: - Case

    static func upper(_ s: String) -> String { s.uppercased() }
    static func lower(_ s: String) -> String { s.lowercased() }

    static func isCased(_ c: Unicode.Scalar) -> Bool { c.properties.isCased }

    /// `str.capitalize()` (Python 3.8+: the first character in title case, the rest lower case).
    static func capitalize(_ s: String) -> String {
        guard let first = s.unicodeScalars.first else { return "" }
        return first.properties.titlecaseMapping + String(String.UnicodeScalarView(s.unicodeScalars.dropFirst())).lowercased()
    }

    /// `str.title()`: a cased character after an uncased one is title-cased, other cased characters lowered.
    static func pythonTitle(_ s: String) -> String {
        var out = ""
        var previousCased = false
        for c in s.unicodeScalars {
            if isCased(c) {
                out += previousCased ? c.properties.lowercaseMapping : c.properties.titlecaseMapping
                previousCased = true
            } else {
                out.unicodeScalars.append(c)
                previousCased = false
            }
        }
        return out
    }

    /// Jinja2's `title` filter: split on runs of `-`, whitespace and `({[<`, upper-case the first character
    /// of each piece and lower-case the rest.
    static func jinjaTitle(_ s: String) -> String {
        var out = ""
        var atWordStart = true
        for c in s.unicodeScalars {
            let separator = c == "-" || c == "(" || c == "{" || c == "[" || c == "<" || c.jinjaIsSpace
            if separator {
                out.unicodeScalars.append(c)
                atWordStart = true
            } else {
                out += atWordStart ? String(c).uppercased() : String(c).lowercased()
                atWordStart = false
            }
        }
        return out
    }

    static func isUpper(_ s: String) -> Bool {
        var sawCased = false
        for c in s.unicodeScalars where isCased(c) {
            if c.properties.isLowercase || c.properties.titlecaseMapping != c.properties.uppercaseMapping && !c.properties.isUppercase { return false }
            sawCased = true
        }
        return sawCased
    }

    static func isLower(_ s: String) -> Bool {
        var sawCased = false
        for c in s.unicodeScalars where isCased(c) {
            if !c.properties.isLowercase { return false }
            sawCased = true
        }
        return sawCased
    }

    /// `str.center(width, fill)` with CPython's placement of the odd padding character.
    static func center(_ s: String, _ width: Int, fill: String = " ") -> String {
        let n = s.unicodeScalars.count
        guard width > n else { return s }
        let pad = width - n
        let left = pad / 2 + (pad & width & 1)
        return String(repeating: fill, count: left) + s + String(repeating: fill, count: pad - left)
    }
}

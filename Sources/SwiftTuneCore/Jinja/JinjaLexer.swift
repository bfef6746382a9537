// Splits a template into tokens exactly as Jinja2's `jinja2.lexer.Lexer` does (Jinja 3.1): text, `{{ }}`,
// `{% %}`, `{# #}` and `{% raw %}`, with the whitespace rules of `trim_blocks`, `lstrip_blocks`, `-` and `+`
// applied here, so the parser only sees the text that is output.
//
// The rules, from Jinja2's lexer:
// - Newlines (`\r\n`, `\r`, `\n`) become `\n`; one trailing newline is dropped unless keep_trailing_newline.
// - `{%-`, `{{-`, `{#-` strip all whitespace (Python's `str.rstrip()`) from the text before the tag;
//   `-%}`, `-}}`, `-#}` strip all whitespace after it.
// - lstrip_blocks: before `{%` or `{#` (not `{{`, not `{%+`), the spaces and tabs between the last newline
//   (or the template start, or a tag end that consumed a newline) and the tag are removed.
// - trim_blocks: one newline right after `%}` or `#}` (not `+%}`, not `}}`) is removed. `{% raw %}`'s own end
//   does not trim, `{% endraw %}`'s does.
// - Inside tags, a closing `%}` or `}}` only ends the tag when brackets are balanced (so `{{ {'a': 1}}}` works).

/// A token of a template.
struct JinjaToken: Sendable {
    enum Kind: Sendable, Equatable {
        case text(String)
        case variableBegin, variableEnd, blockBegin, blockEnd
        case name(String)
        case string(String)
        case integer(Int)
        case float(Double)
        /// An operator or bracket: `+`, `//`, `(`, `==`, `|`, …
        case op(String)
        case eof
    }

    var kind: Kind
    var line: Int
}

/// Jinja2's lexer. Works on Unicode scalars so that positions and whitespace classes are Python's.
struct JinjaLexer {
    private let source: [Unicode.Scalar]
    private let options: JinjaOptions
    private let templateName: String
    private var position = 0
    private var line = 1
    private var lineStarting = true
    private var balancing: [Unicode.Scalar] = []
    private(set) var tokens: [JinjaToken] = []

    init(source: String, name: String, options: JinjaOptions) {
        self.options = options
        self.templateName = name
        self.source = JinjaLexer.normalizedNewlines(source, keepTrailingNewline: options.keepTrailingNewline)
    }

    /// Python's `newline_re.split(source)[::2]` joined with `\n`, minus the last empty line.
    private static func normalizedNewlines(_ text: String, keepTrailingNewline: Bool) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.unicodeScalars.count)
        var previousCR = false
        for scalar in text.unicodeScalars {
            if scalar == "\n" {
                if !previousCR { result.append("\n") }
                previousCR = false
            } else if scalar == "\r" {
                result.append("\n")
                previousCR = true
            } else {
                result.append(scalar)
                previousCR = false
            }
        }
        if !keepTrailingNewline, result.last == "\n" { result.removeLast() }
        return result
    }

    private func fail(_ message: String, line: Int? = nil) -> JinjaError {
        JinjaError(kind: .syntax, template: templateName, line: line ?? self.line, message: message)
    }

    private func at(_ i: Int) -> Unicode.Scalar? { i < source.count ? source[i] : nil }

    private func hasPrefix(_ literal: String, at i: Int) -> Bool {
        var j = i
        for scalar in literal.unicodeScalars {
            guard j < source.count, source[j] == scalar else { return false }
            j += 1
        }
        return true
    }

    private func newlines(_ range: Range<Int>) -> Int {
        var n = 0
        for i in range where source[i] == "\n" { n += 1 }
        return n
    }

    private func skipWhitespace(from i: Int) -> Int {
        var j = i
        while j < source.count, source[j].jinjaIsSpace { j += 1 }
        return j
    }

    // MARK: - Root state

    /// Tokenizes the whole template.
    mutating func tokenize() throws -> [JinjaToken] {
        while position < source.count {
            guard let (start, kind) = nextTagStart(from: position) else {
                emitText(position..<source.count)
                position = source.count
                break
            }
            var afterDelimiter = start + 2
            var sign: Unicode.Scalar?
            if let s = at(afterDelimiter), s == "-" || s == "+" {
                sign = s
                afterDelimiter += 1
            }
            var rawEnd: Int?
            if kind == .blockBegin { rawEnd = matchRawBegin(at: afterDelimiter) }
            let textEnd = stripEnd(text: position..<start, sign: sign, isVariable: kind == .variableBegin)
            emitText(position..<textEnd)
            line += newlines(textEnd..<start)
            if let rawEnd {
                line += newlines(start..<rawEnd)
                lineStarting = source[rawEnd - 1] == "\n"
                position = rawEnd
                try lexRaw()
                continue
            }
            lineStarting = false
            position = afterDelimiter
            switch kind {
            case .variableBegin:
                tokens.append(JinjaToken(kind: .variableBegin, line: line))
                try lexTag(isBlock: false)
            case .blockBegin:
                tokens.append(JinjaToken(kind: .blockBegin, line: line))
                try lexTag(isBlock: true)
            default:
                try lexComment()
            }
        }
        tokens.append(JinjaToken(kind: .eof, line: line))
        return tokens
    }

    private func nextTagStart(from i: Int) -> (Int, JinjaToken.Kind)? {
        var j = i
        while j + 1 < source.count {
            if source[j] == "{" {
                switch source[j + 1] {
                case "{": return (j, .variableBegin)
                case "%": return (j, .blockBegin)
                case "#": return (j, .op("#"))
                default: break
                }
            }
            j += 1
        }
        return nil
    }

    /// `\s*raw\s*(?:-%}\s*|%})` after `{%` and its sign: the end of the raw-begin tag, if it is one.
    private func matchRawBegin(at i: Int) -> Int? {
        var j = skipWhitespace(from: i)
        guard hasPrefix("raw", at: j) else { return nil }
        j = skipWhitespace(from: j + 3)
        if hasPrefix("-%}", at: j) { return skipWhitespace(from: j + 3) }
        if hasPrefix("%}", at: j) { return j + 2 }
        return nil
    }

    /// Where the text before a tag ends once `-` or lstrip_blocks have removed its trailing whitespace.
    private func stripEnd(text: Range<Int>, sign: Unicode.Scalar?, isVariable: Bool) -> Int {
        if sign == "-" {
            var end = text.upperBound
            while end > text.lowerBound, source[end - 1].jinjaIsSpace { end -= 1 }
            return end
        }
        guard sign != "+", options.lstripBlocks, !isVariable else { return text.upperBound }
        var lineStart = text.upperBound
        while lineStart > text.lowerBound, source[lineStart - 1] != "\n" { lineStart -= 1 }
        guard lineStart > text.lowerBound || lineStarting, lineStart < text.upperBound else { return text.upperBound }
        for i in lineStart..<text.upperBound where !source[i].jinjaIsSpace { return text.upperBound }
        return lineStart
    }

    private mutating func emitText(_ range: Range<Int>) {
        guard !range.isEmpty else { return }
        var text = String.UnicodeScalarView()
        text.append(contentsOf: source[range])
        tokens.append(JinjaToken(kind: .text(String(text)), line: line))
        line += newlines(range)
    }

    // MARK: - Comments and raw blocks

    private mutating func lexComment() throws {
        let startLine = line
        var j = position
        while j < source.count {
            if hasPrefix("+#}", at: j) {
                line += newlines(position..<j)
                position = j + 3
                lineStarting = false
                return
            }
            if hasPrefix("-#}", at: j) {
                let end = skipWhitespace(from: j + 3)
                line += newlines(position..<end)
                lineStarting = source[end - 1] == "\n"
                position = end
                return
            }
            if hasPrefix("#}", at: j) {
                var end = j + 2
                if options.trimBlocks, at(end) == "\n" { end += 1 }
                line += newlines(position..<end)
                lineStarting = source[end - 1] == "\n"
                position = end
                return
            }
            j += 1
        }
        throw fail("Missing end of comment tag", line: startLine)
    }

    /// The body of `{% raw %}` up to `{% endraw %}`, emitted as text.
    private mutating func lexRaw() throws {
        var j = position
        while j < source.count {
            if source[j] == "{", at(j + 1) == "%" {
                var k = j + 2
                var sign: Unicode.Scalar?
                if let s = at(k), s == "-" || s == "+" { sign = s; k += 1 }
                k = skipWhitespace(from: k)
                if hasPrefix("endraw", at: k) {
                    k = skipWhitespace(from: k + 6)
                    var end: Int?
                    if hasPrefix("+%}", at: k) {
                        end = k + 3
                    } else if hasPrefix("-%}", at: k) {
                        end = skipWhitespace(from: k + 3)
                    } else if hasPrefix("%}", at: k) {
                        end = k + 2
                        if options.trimBlocks, at(k + 2) == "\n" { end = k + 3 }
                    }
                    if let end {
                        let textEnd = stripEnd(text: position..<j, sign: sign, isVariable: false)
                        emitText(position..<textEnd)
                        line += newlines(textEnd..<end)
                        lineStarting = source[end - 1] == "\n"
                        position = end
                        return
                    }
                }
            }
            j += 1
        }
        throw fail("Missing end of raw directive")
    }

    // MARK: - Inside tags

    private mutating func lexTag(isBlock: Bool) throws {
        let startLine = line
        while true {
            guard position < source.count else {
                throw fail("unexpected end of template, expected '\(isBlock ? "end of statement block" : "end of print statement")'", line: startLine)
            }
            if balancing.isEmpty, let end = tagEnd(isBlock: isBlock) {
                tokens.append(JinjaToken(kind: isBlock ? .blockEnd : .variableEnd, line: line))
                line += newlines(position..<end)
                lineStarting = source[end - 1] == "\n"
                position = end
                return
            }
            try lexTagToken()
        }
    }

    /// `\+%}|\-%}\s*|%}\n?` (blocks) or `\-}}\s*|}}` (variables) at the current position.
    private func tagEnd(isBlock: Bool) -> Int? {
        let closer = isBlock ? "%}" : "}}"
        if isBlock, hasPrefix("+" + closer, at: position) { return position + 3 }
        if hasPrefix("-" + closer, at: position) { return skipWhitespace(from: position + 3) }
        if hasPrefix(closer, at: position) {
            if isBlock, options.trimBlocks, at(position + 2) == "\n" { return position + 3 }
            return position + 2
        }
        return nil
    }

    private static let operators: [String] = [
        "//", "**", "==", "!=", ">=", "<=",
        "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";",
    ]

    private mutating func lexTagToken() throws {
        let c = source[position]
        if c.jinjaIsSpace {
            let end = skipWhitespace(from: position)
            line += newlines(position..<end)
            position = end
            return
        }
        if let (end, value) = try scanFloat() {
            tokens.append(JinjaToken(kind: .float(value), line: line))
            position = end
            return
        }
        if let (end, value) = try scanInteger() {
            tokens.append(JinjaToken(kind: .integer(value), line: line))
            position = end
            return
        }
        if c.jinjaIsIdentifierStart {
            var end = position + 1
            while end < source.count, source[end].jinjaIsIdentifierContinue { end += 1 }
            var name = String.UnicodeScalarView()
            name.append(contentsOf: source[position..<end])
            tokens.append(JinjaToken(kind: .name(String(name)), line: line))
            position = end
            return
        }
        if c == "'" || c == "\"", let end = stringEnd(quote: c) {
            let value = try JinjaLexer.unescape(source[(position + 1)..<(end - 1)], template: templateName, line: line)
            tokens.append(JinjaToken(kind: .string(value), line: line))
            line += newlines(position..<end)
            position = end
            return
        }
        for op in JinjaLexer.operators where hasPrefix(op, at: position) {
            try balance(op)
            tokens.append(JinjaToken(kind: .op(op), line: line))
            position += op.unicodeScalars.count
            return
        }
        throw fail("unexpected char '\(Character(c))' at \(position)")
    }

    private mutating func balance(_ op: String) throws {
        switch op {
        case "{": balancing.append("}")
        case "(": balancing.append(")")
        case "[": balancing.append("]")
        case "}", ")", "]":
            guard let expected = balancing.popLast() else { throw fail("unexpected '\(op)'") }
            if String(Character(expected)) != op { throw fail("unexpected '\(op)', expected '\(Character(expected))'") }
        default: break
        }
    }

    private func stringEnd(quote: Unicode.Scalar) -> Int? {
        var j = position + 1
        while j < source.count {
            if source[j] == quote { return j + 1 }
            if source[j] == "\\" { j += 1 }
            j += 1
        }
        return nil
    }

    // MARK: - Numbers

    /// `(\d+_)*\d+`: the end of a run of digits with single underscores between them.
    private func digitsEnd(from i: Int) -> Int? {
        guard let c = at(i), c.jinjaIsDigit else { return nil }
        var j = i + 1
        while let d = at(j) {
            if d.jinjaIsDigit { j += 1 } else if d == "_", let e = at(j + 1), e.jinjaIsDigit { j += 2 } else { break }
        }
        return j
    }

    private func text(_ range: Range<Int>) -> String {
        var view = String.UnicodeScalarView()
        for scalar in source[range] where scalar != "_" { view.append(scalar) }
        return String(view)
    }

    /// Jinja2's `float_re`, including its `(?<!\.)`: a number right after a dot is not a float.
    private func scanFloat() throws -> (Int, Double)? {
        if position > 0, source[position - 1] == "." { return nil }
        guard let intEnd = digitsEnd(from: position) else { return nil }
        var end: Int?
        if at(intEnd) == ".", let fractionEnd = digitsEnd(from: intEnd + 1) {
            end = exponentEnd(from: fractionEnd) ?? fractionEnd
        } else {
            end = exponentEnd(from: intEnd)
        }
        guard let end else { return nil }
        guard let value = Double(text(position..<end)) else { throw fail("invalid float literal") }
        return (end, value)
    }

    private func exponentEnd(from i: Int) -> Int? {
        guard let e = at(i), e == "e" || e == "E" else { return nil }
        var j = i + 1
        if let s = at(j), s == "+" || s == "-" { j += 1 }
        return digitsEnd(from: j)
    }

    /// Jinja2's `integer_re`: `0b…`, `0o…`, `0x…` (with `_` separators), decimal, or zeros.
    private func scanInteger() throws -> (Int, Int)? {
        guard let c = at(position), c.jinjaIsDigit else { return nil }
        if c == "0", let p = at(position + 1) {
            let radix: Int?
            switch p {
            case "b", "B": radix = 2
            case "o", "O": radix = 8
            case "x", "X": radix = 16
            default: radix = nil
            }
            if let radix {
                var j = position + 2
                var digits = ""
                while true {
                    let k = at(j) == "_" ? j + 1 : j
                    guard let d = at(k), let v = d.jinjaHexValue, v < radix else { break }
                    digits.unicodeScalars.append(d)
                    j = k + 1
                }
                if !digits.isEmpty {
                    guard let value = Int(digits, radix: radix) else { throw fail("integer literal too large") }
                    return (j, value)
                }
            }
        }
        if c == "0" {
            var j = position + 1
            while true {
                let k = at(j) == "_" ? j + 1 : j
                guard at(k) == "0" else { break }
                j = k + 1
            }
            return (j, 0)
        }
        guard let end = digitsEnd(from: position) else { return nil }
        guard let value = Int(text(position..<end)) else { throw fail("integer literal too large") }
        return (end, value)
    }
}

extension Unicode.Scalar {
    /// Python's `str.isspace()` (also what `\s` matches in Python's `re`).
    var jinjaIsSpace: Bool {
        switch value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    var jinjaIsDigit: Bool { value >= 0x30 && value <= 0x39 }

    var jinjaHexValue: Int? {
        switch value {
        case 0x30...0x39: return Int(value - 0x30)
        case 0x41...0x46: return Int(value - 0x41 + 10)
        case 0x61...0x66: return Int(value - 0x61 + 10)
        default: return nil
        }
    }

    var jinjaIsIdentifierStart: Bool {
        if value < 0x80 { return (value >= 0x41 && value <= 0x5A) || (value >= 0x61 && value <= 0x7A) || value == 0x5F }
        return properties.isXIDStart
    }

    var jinjaIsIdentifierContinue: Bool {
        if value < 0x80 { return jinjaIsIdentifierStart || jinjaIsDigit }
        return properties.isXIDContinue
    }
}

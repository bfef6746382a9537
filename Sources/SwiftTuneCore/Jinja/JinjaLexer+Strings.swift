// String literals: Jinja2 decodes them with Python's `unicode-escape` codec after encoding the source with
// `backslashreplace`, so Python's escapes work (`\n`, `\t`, `\\`, `\'`, `\xhh`, `\uhhhh`, `\Uhhhhhhhh`, octal
// `\ooo`, `\a \b \f \v`, backslash-newline) and unknown escapes such as `\d` stay as written.

extension JinjaLexer {
    /// Decodes the body of a string literal (without its quotes).
    static func unescape(_ body: ArraySlice<Unicode.Scalar>, template: String, line: Int) throws -> String {
        func fail(_ message: String) -> JinjaError {
            JinjaError(kind: .syntax, template: template, line: line, message: message)
        }
        var out = String.UnicodeScalarView()
        var pendingHighSurrogate: UInt32?
        func append(code: UInt32) {
            if let high = pendingHighSurrogate {
                pendingHighSurrogate = nil
                if (0xDC00...0xDFFF).contains(code),
                   let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00)) {
                    out.append(scalar)
                    return
                }
                out.append("\u{FFFD}")
            }
            if (0xD800...0xDBFF).contains(code) {
                pendingHighSurrogate = code
            } else {
                out.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            }
        }
        func flush() {
            if pendingHighSurrogate != nil { out.append("\u{FFFD}"); pendingHighSurrogate = nil }
        }
        var i = body.startIndex
        while i < body.endIndex {
            let c = body[i]
            guard c == "\\", i + 1 < body.endIndex else {
                flush()
                out.append(c)
                i += 1
                continue
            }
            let e = body[i + 1]
            i += 2
            switch e {
            case "\n": flush()
            case "\\", "'", "\"": flush(); out.append(e)
            case "a": flush(); out.append("\u{07}")
            case "b": flush(); out.append("\u{08}")
            case "f": flush(); out.append("\u{0C}")
            case "n": flush(); out.append("\n")
            case "r": flush(); out.append("\r")
            case "t": flush(); out.append("\t")
            case "v": flush(); out.append("\u{0B}")
            case "0"..."7":
                var code = UInt32(e.value - 0x30)
                var digits = 1
                while digits < 3, i < body.endIndex, ("0"..."7").contains(body[i]) {
                    code = code * 8 + (body[i].value - 0x30)
                    i += 1
                    digits += 1
                }
                append(code: code)
            case "x", "u", "U":
                let width = e == "x" ? 2 : (e == "u" ? 4 : 8)
                var code: UInt32 = 0
                for _ in 0..<width {
                    guard i < body.endIndex, let v = body[i].jinjaHexValue else {
                        throw fail("truncated \\\(Character(e))\(String(repeating: "X", count: width)) escape")
                    }
                    code = code * 16 + UInt32(v)
                    i += 1
                }
                guard code <= 0x10FFFF else { throw fail("illegal Unicode character") }
                append(code: code)
            case "N":
                throw fail("\\N{…} escapes are not supported")
            default:
                flush()
                out.append("\\")
                if e.value < 0x80 {
                    out.append(e)
                } else {
                    // `backslashreplace` turned the character into an escape that unicode-escape then kept.
                    let hex = String(e.value, radix: 16)
                    let form = e.value < 0x100 ? "x" + String(repeating: "0", count: 2 - hex.count) + hex
                        : e.value < 0x10000 ? "u" + String(repeating: "0", count: 4 - hex.count) + hex
                        : "U" + String(repeating: "0", count: 8 - hex.count) + hex
                    out.append(contentsOf: form.unicodeScalars)
                }
            }
        }
        flush()
        return String(out)
    }
}

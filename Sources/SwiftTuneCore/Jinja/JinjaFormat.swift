// String formatting: Python's printf-style `format % args` (the `format` filter and the `%` operator) and a
// subset of `str.format` (`{}`, `{0}`, `{name}`, conversions `!s` / `!r`, specs with fill, alignment, sign,
// zero padding, width, precision and the types s d f F e E g G x X o b %).

import Foundation

enum JinjaFormat {
    // MARK: - printf style

    /// `format % values`: a tuple (array) supplies several arguments, a dict supplies `%(name)s`, anything
    /// else is the single argument.
    static func printf(_ format: String, _ values: JinjaValue) throws -> String {
        let scalars = Array(format.unicodeScalars)
        var arguments: [JinjaValue]
        var mapping: JinjaObject?
        switch values {
        case .array(let items): arguments = items
        case .object(let o): arguments = [values]; mapping = o
        default: arguments = [values]
        }
        var next = 0
        var out = ""
        var i = 0
        func take() throws -> JinjaValue {
            guard next < arguments.count else { throw JinjaError.type("not enough arguments for format string") }
            defer { next += 1 }
            return arguments[next]
        }
        while i < scalars.count {
            let c = scalars[i]
            guard c == "%" else { out.unicodeScalars.append(c); i += 1; continue }
            i += 1
            guard i < scalars.count else { throw JinjaError.type("incomplete format") }
            var key: String?
            if scalars[i] == "(" {
                var depth = 1
                var j = i + 1
                while j < scalars.count, depth > 0 {
                    if scalars[j] == "(" { depth += 1 } else if scalars[j] == ")" { depth -= 1 }
                    j += 1
                }
                guard depth == 0 else { throw JinjaError.type("incomplete format key") }
                key = JinjaStrings.scalarString(scalars[(i + 1)..<(j - 1)])
                i = j
            }
            var flags = Set<Unicode.Scalar>()
            while i < scalars.count, "-+ #0".unicodeScalars.contains(scalars[i]) { flags.insert(scalars[i]); i += 1 }
            var width = 0
            if i < scalars.count, scalars[i] == "*" {
                width = min(max(try take().integerIndex ?? 0, 0), 1 << 20)
                i += 1
            }
            while i < scalars.count, scalars[i].jinjaIsDigit { width = min(width * 10 + Int(scalars[i].value - 48), 1 << 20); i += 1 }
            var precision: Int?
            if i < scalars.count, scalars[i] == "." {
                i += 1
                var p = 0
                while i < scalars.count, scalars[i].jinjaIsDigit { p = min(p * 10 + Int(scalars[i].value - 48), 1 << 20); i += 1 }
                precision = p
            }
            while i < scalars.count, "hlL".unicodeScalars.contains(scalars[i]) { i += 1 }
            guard i < scalars.count else { throw JinjaError.type("incomplete format") }
            let conversion = scalars[i]
            i += 1
            if conversion == "%" { out += "%"; continue }
            let value: JinjaValue
            if let key {
                guard let mapping else { throw JinjaError.type("format requires a mapping") }
                guard let v = mapping[key] else { throw JinjaError.type("KeyError: '\(key)'") }
                value = v
            } else {
                value = try take()
            }
            var text = try convert(value, conversion, flags: flags, precision: precision)
            let count = text.unicodeScalars.count
            if width > count {
                let pad = width - count
                if flags.contains("-") {
                    text += String(repeating: " ", count: pad)
                } else if flags.contains("0"), "diueEfFgGxXo".unicodeScalars.contains(conversion) {
                    let signed = text.hasPrefix("-") || text.hasPrefix("+") || text.hasPrefix(" ")
                    let sign = signed ? String(text.removeFirst()) : ""
                    text = sign + String(repeating: "0", count: pad) + text
                } else {
                    text = String(repeating: " ", count: pad) + text
                }
            }
            out += text
        }
        if mapping == nil, next < arguments.count {
            throw JinjaError.type("not all arguments converted during string formatting")
        }
        return out
    }

    private static func convert(_ value: JinjaValue, _ conversion: Unicode.Scalar, flags: Set<Unicode.Scalar>,
                                precision: Int?) throws -> String {
        func signed(_ text: String, negative: Bool) -> String {
            if negative { return text }
            if flags.contains("+") { return "+" + text }
            if flags.contains(" ") { return " " + text }
            return text
        }
        switch conversion {
        case "s", "r", "a":
            var text = conversion == "s" ? try value.pythonString() : try value.pythonRepr()
            if let precision { text = JinjaStrings.scalarString(Array(text.unicodeScalars).prefix(precision)) }
            return text
        case "d", "i", "u":
            guard let n = value.number else {
                throw JinjaError.type("%\(Character(conversion)) format: a real number is required, not \(value.typeName)")
            }
            let i: Int
            switch n {
            case .int(let v): i = v
            case .double(let d):
                guard d.isFinite, let v = Int(exactly: d.rounded(.towardZero)) else { throw JinjaError.type("cannot convert float to integer") }
                i = v
            }
            return signed(String(i), negative: i < 0)
        case "x", "X", "o":
            guard case .int(let i)? = value.number else {
                throw JinjaError.type("%\(Character(conversion)) format: an integer is required, not \(value.typeName)")
            }
            var digits = String(i.magnitude, radix: conversion == "o" ? 8 : 16, uppercase: conversion == "X")
            if flags.contains("#") { digits = (conversion == "o" ? "0o" : (conversion == "X" ? "0X" : "0x")) + digits }
            return signed(i < 0 ? "-" + digits : digits, negative: i < 0)
        case "f", "F", "e", "E", "g", "G":
            guard let n = value.number else { throw JinjaError.type("must be real number, not \(value.typeName)") }
            let d = n.asDouble
            return signed(cFormat(d, conversion, precision: precision ?? 6, alternate: flags.contains("#")),
                          negative: d.sign == .minus && !d.isNaN)
        case "c":
            if case .string(let s) = value, s.unicodeScalars.count == 1 { return s }
            if let i = value.integerIndex, let scalar = Unicode.Scalar(UInt32(clamping: max(i, 0))) { return String(scalar) }
            throw JinjaError.type("%c requires int or char")
        default:
            throw JinjaError.type("unsupported format character '\(Character(conversion))'")
        }
    }

    /// C's `%.*f` / `%.*e` / `%.*g` (what Python's float formatting matches), with Python's `inf` / `nan`.
    static func cFormat(_ d: Double, _ conversion: Unicode.Scalar, precision: Int, alternate: Bool = false) -> String {
        if d.isNaN { return conversion.properties.isUppercase ? "NAN" : "nan" }
        if d.isInfinite { return (d < 0 ? "-" : "") + (conversion.properties.isUppercase ? "INF" : "inf") }
        let spec = "%" + (alternate ? "#" : "") + ".\(min(precision, 500))" + String(Character(conversion))
        return String(format: spec, d)
    }

    // MARK: - str.format

    /// `template.format(*positional, **keywords)`.
    static func format(_ template: String, _ arguments: JinjaArguments) throws -> String {
        let scalars = Array(template.unicodeScalars)
        var out = ""
        var i = 0
        var automatic = 0
        while i < scalars.count {
            let c = scalars[i]
            if c == "}" {
                guard i + 1 < scalars.count, scalars[i + 1] == "}" else { throw JinjaError.type("Single '}' encountered in format string") }
                out += "}"
                i += 2
                continue
            }
            guard c == "{" else { out.unicodeScalars.append(c); i += 1; continue }
            if i + 1 < scalars.count, scalars[i + 1] == "{" { out += "{"; i += 2; continue }
            var j = i + 1
            while j < scalars.count, scalars[j] != "}" { j += 1 }
            guard j < scalars.count else { throw JinjaError.type("Single '{' encountered in format string") }
            let field = JinjaStrings.scalarString(scalars[(i + 1)..<j])
            i = j + 1
            var name = field
            var spec = ""
            var conversion: Character?
            if let colon = name.firstIndex(of: ":") {
                spec = String(name[name.index(after: colon)...])
                name = String(name[..<colon])
            }
            if let bang = name.firstIndex(of: "!") {
                conversion = name[name.index(after: bang)...].first
                name = String(name[..<bang])
            }
            let value: JinjaValue
            if name.isEmpty {
                guard automatic < arguments.positional.count else { throw JinjaError.type("Replacement index \(automatic) out of range for positional args tuple") }
                value = arguments.positional[automatic]
                automatic += 1
            } else if let index = Int(name) {
                guard index >= 0, index < arguments.positional.count else { throw JinjaError.type("Replacement index \(index) out of range for positional args tuple") }
                value = arguments.positional[index]
            } else if let v = arguments.keywords.first(where: { $0.name == name })?.value {
                value = v
            } else {
                throw JinjaError.type("KeyError: '\(name)'")
            }
            let converted: JinjaValue = conversion == "r" ? .string(try value.pythonRepr()) : (conversion == "s" ? .string(try value.pythonString()) : value)
            out += try formatSpec(converted, spec)
        }
        return out
    }

    /// Python's format-spec mini-language for one value.
    static func formatSpec(_ value: JinjaValue, _ spec: String) throws -> String {
        guard !spec.isEmpty else { return try value.pythonString() }
        var s = Array(spec.unicodeScalars)
        var fill: Unicode.Scalar = " "
        var align: Unicode.Scalar?
        if s.count >= 2, "<>^=".unicodeScalars.contains(s[1]) { fill = s[0]; align = s[1]; s.removeFirst(2) }
        else if let first = s.first, "<>^=".unicodeScalars.contains(first) { align = first; s.removeFirst() }
        var sign: Unicode.Scalar?
        if let first = s.first, "+- ".unicodeScalars.contains(first) { sign = first; s.removeFirst() }
        if s.first == "#" { s.removeFirst() }
        if s.first == "0", align == nil { fill = "0"; align = "="; s.removeFirst() }
        var width = 0
        while let first = s.first, first.jinjaIsDigit { width = min(width * 10 + Int(first.value - 48), 1 << 20); s.removeFirst() }
        if s.first == "," || s.first == "_" { s.removeFirst() }
        var precision: Int?
        if s.first == "." {
            s.removeFirst()
            var p = 0
            while let first = s.first, first.jinjaIsDigit { p = min(p * 10 + Int(first.value - 48), 1 << 20); s.removeFirst() }
            precision = p
        }
        let type = s.first
        var body: String
        var negative = false
        switch (type, value) {
        case (nil, .string(let text)), ("s", .string(let text)):
            body = precision.map { JinjaStrings.scalarString(Array(text.unicodeScalars).prefix($0)) } ?? text
        case (nil, _) where value.number == nil, ("s", _):
            body = try value.pythonString()
        default:
            guard let n = value.number else { throw JinjaError.type("Unknown format code '\(type.map { String(Character($0)) } ?? "")' for object of type '\(value.typeName)'") }
            let isInteger: Bool = { if case .int = n { return true } else { return false } }()
            let effectiveType = type ?? (isInteger && precision == nil ? "d" : nil)
            switch effectiveType {
            case "d"?:
                guard case .int(let i) = n else { throw JinjaError.type("Unknown format code 'd' for object of type 'float'") }
                body = String(i.magnitude)
                negative = i < 0
            case "x"?, "X"?, "o"?, "b"?:
                guard case .int(let i) = n else { throw JinjaError.type("Unknown format code for object of type 'float'") }
                body = String(i.magnitude, radix: type == "o" ? 8 : (type == "b" ? 2 : 16), uppercase: type == "X")
                negative = i < 0
            case "%"?:
                let d = n.asDouble * 100
                body = cFormat(abs(d), "f", precision: precision ?? 6) + "%"
                negative = d < 0
            case nil:
                let d = n.asDouble
                body = precision.map { cFormat(abs(d), "g", precision: max($0, 1)) } ?? JinjaValue.pythonFloatRepr(abs(d))
                negative = d.sign == .minus
            default:
                let d = n.asDouble
                body = cFormat(abs(d), effectiveType ?? "g", precision: precision ?? 6)
                negative = d.sign == .minus
            }
        }
        let signText = negative ? "-" : (sign == "+" ? "+" : (sign == " " ? " " : ""))
        let count = body.unicodeScalars.count + signText.unicodeScalars.count
        guard width > count else { return signText + body }
        let pad = width - count
        let padding = { (n: Int) in String(repeating: String(Character(fill)), count: n) }
        switch align ?? (value.number != nil && !value.isString ? ">" : "<") {
        case "<": return signText + body + padding(pad)
        case "^": return padding(pad / 2) + signText + body + padding(pad - pad / 2)
        case "=": return signText + padding(pad) + body
        default: return padding(pad) + signText + body
        }
    }
}

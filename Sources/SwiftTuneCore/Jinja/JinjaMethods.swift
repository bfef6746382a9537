// Python methods templates call on values: `str` (strip, split, startswith, replace, format, …), `dict`
// (items, keys, values, get), `list` (index, count) and the loop object (cycle, changed). Methods that mutate
// a list or dict (append, pop, update, …) exist but are unsafe in transformers' ImmutableSandboxedEnvironment:
// using them raises, as it does there.

enum JinjaMethods {
    static let stringMethods: Set<String> = [
        "strip", "lstrip", "rstrip", "split", "rsplit", "startswith", "endswith", "upper", "lower", "title",
        "capitalize", "replace", "find", "rfind", "index", "rindex", "count", "join", "format", "splitlines",
        "isdigit", "isspace", "isalpha", "isalnum", "isnumeric", "isdecimal", "isupper", "islower", "center",
        "ljust", "rjust", "zfill", "removeprefix", "removesuffix", "swapcase", "casefold", "partition",
        "rpartition", "expandtabs", "istitle",
    ]
    /// The `str` methods markupsafe's `Markup` overrides to keep results safe.
    static let markupMethods: Set<String> = [
        "capitalize", "title", "lower", "upper", "replace", "ljust", "rjust", "lstrip", "rstrip", "center", "strip",
        "expandtabs", "swapcase", "zfill", "casefold", "removeprefix", "removesuffix", "partition", "rpartition",
        "split", "rsplit", "splitlines", "join", "format",
    ]
    static let dictMethods: Set<String> = ["items", "keys", "values", "get", "copy"]
    static let unsafeDictMethods: Set<String> = ["pop", "popitem", "setdefault", "update", "clear"]
    static let listMethods: Set<String> = ["index", "count", "copy"]
    static let unsafeListMethods: Set<String> = ["append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear"]

    static func has(_ name: String, on receiver: JinjaValue) -> Bool {
        switch receiver.plain {
        case .string: return stringMethods.contains(name)
        case .object: return dictMethods.contains(name)
        case .array: return listMethods.contains(name)
        case .opaque(let o):
            if case .loop = o.storage { return name == "cycle" || name == "changed" }
            return false
        default: return false
        }
    }

    static func isUnsafe(_ name: String, on receiver: JinjaValue) -> Bool {
        switch receiver {
        case .object: return unsafeDictMethods.contains(name)
        case .array: return unsafeListMethods.contains(name)
        default: return false
        }
    }

    static func call(_ name: String, on receiver: JinjaValue, _ arguments: JinjaArguments,
                     _ evaluator: JinjaEvaluator) throws -> JinjaValue {
        if receiver.markupText != nil, markupMethods.contains(name) {
            // markupsafe's Markup wraps these: string arguments are escaped, string results stay Markup.
            func escape(_ v: JinjaValue) -> JinjaValue {
                v.stringText.map { .string(JinjaEvaluator.htmlEscape($0)) } ?? v.plain
            }
            let escaped = JinjaArguments(positional: arguments.positional.map(escape),
                                         keywords: arguments.keywords.map { ($0.name, escape($0.value)) })
            switch try call(name, on: receiver.plain, escaped, evaluator) {
            case .string(let s): return .markup(s)
            case .array(let items): return .array(items.map { $0.stringText.map(JinjaValue.markup) ?? $0 })
            case let other: return other
            }
        }
        let arguments = JinjaArguments(positional: arguments.positional.map(\.plain),
                                       keywords: arguments.keywords.map { ($0.name, $0.value.plain) })
        switch receiver.plain {
        case .string(let s): return try callString(name, s, arguments, evaluator)
        case .object(let o): return try callDict(name, o, arguments)
        case .array(let items):
            let a = try arguments.bind(name, ["x"])
            guard let x = a[0] else { throw JinjaError.type("\(name)() takes exactly one argument (0 given)") }
            if name == "count" { return .int(try items.filter { try $0.pythonEquals(x) }.count) }
            if name == "copy" { return receiver }
            guard let i = try items.firstIndex(where: { try $0.pythonEquals(x) }) else {
                throw JinjaError.type("\((try? x.pythonRepr()) ?? "value") is not in list")
            }
            return .int(i)
        case .opaque(let o):
            guard case .loop(let loop) = o.storage else { break }
            if name == "cycle" {
                guard !arguments.positional.isEmpty else { throw JinjaError.type("no items for cycling given") }
                return arguments.positional[loop.index0 % arguments.positional.count]
            }
            let value = JinjaValue.array(arguments.positional)
            if let last = loop.lastChanged, try last.pythonEquals(value) { return .bool(false) }
            loop.lastChanged = value
            return .bool(true)
        default:
            break
        }
        throw JinjaError.type("'\(receiver.typeName)' object has no attribute '\(name)'")
    }

    private static func callDict(_ name: String, _ o: JinjaObject, _ arguments: JinjaArguments) throws -> JinjaValue {
        switch name {
        case "items":
            _ = try arguments.bind(name, [])
            return .array(o.entries.map { .array([$0, $1]) })
        case "keys":
            _ = try arguments.bind(name, [])
            return .array(o.keyList)
        case "values":
            _ = try arguments.bind(name, [])
            return .array(o.values)
        case "copy":
            return .object(o)
        default:
            let a = try arguments.bind(name, ["key", "default"])
            guard let key = a[0] else { throw JinjaError.type("get expected at least 1 argument, got 0") }
            return o.value(for: key) ?? a[1] ?? .none
        }
    }

    private static func string(_ v: JinjaValue?, _ function: String) throws -> String? {
        switch v {
        case nil, .none?: return nil
        case .string(let s)?: return s
        case let other?: throw JinjaError.type("\(function) arg must be None or str, not \(other.typeName)")
        }
    }

    private static func integer(_ v: JinjaValue?, default d: Int) throws -> Int {
        guard let v else { return d }
        guard let i = v.integerIndex else { throw JinjaError.type("'\(v.typeName)' object cannot be interpreted as an integer") }
        return i
    }

    private static func callString(_ name: String, _ s: String, _ arguments: JinjaArguments,
                                   _ evaluator: JinjaEvaluator) throws -> JinjaValue {
        let limit = evaluator.limits.maxOutputBytes
        switch name {
        case "strip", "lstrip", "rstrip":
            let chars = try string(try arguments.bind(name, ["chars"])[0], name)
            return .string(JinjaStrings.strip(s, chars, leading: name != "rstrip", trailing: name != "lstrip"))
        case "split", "rsplit":
            let a = try arguments.bind(name, ["sep", "maxsplit"])
            let sep = try string(a[0], name)
            let maxSplit = try integer(a[1], default: -1)
            let parts = name == "split" ? try JinjaStrings.split(s, sep, maxSplit: maxSplit)
                : try JinjaStrings.rsplit(s, sep, maxSplit: maxSplit)
            return .array(parts.map { .string($0) })
        case "startswith", "endswith":
            let a = try arguments.bind(name, ["prefix", "start", "end"])
            let candidates: [JinjaValue]
            switch a[0] {
            case .string(let prefix)?: candidates = [.string(prefix)]
            case .array(let items)?: candidates = items
            default: throw JinjaError.type("\(name) first arg must be str or a tuple of str, not \(a[0]?.typeName ?? "nothing")")
            }
            var scalars = Array(s.unicodeScalars)
            if a[1] != nil || a[2] != nil {
                let start = a[1].flatMap { $0.integerIndex }
                let end = a[2].flatMap { $0.integerIndex }
                scalars = JinjaEvaluator.pythonSlice(scalars, start, end, 1)
            }
            let bytes = Array(JinjaStrings.scalarString(scalars[...]).utf8)
            for candidate in candidates {
                guard case .string(let c) = candidate else { throw JinjaError.type("tuple for \(name) must only contain str") }
                let p = Array(c.utf8)
                if p.count <= bytes.count, name == "startswith" ? Array(bytes.prefix(p.count)) == p : Array(bytes.suffix(p.count)) == p {
                    return .bool(true)
                }
            }
            return .bool(false)
        case "upper": return .string(JinjaStrings.upper(s))
        case "lower", "casefold": return .string(JinjaStrings.lower(s))
        case "title": return .string(JinjaStrings.pythonTitle(s))
        case "capitalize": return .string(JinjaStrings.capitalize(s))
        case "swapcase":
            return .string(s.unicodeScalars.map { $0.properties.isUppercase ? String($0).lowercased() : String($0).uppercased() }.joined())
        case "replace":
            let a = try arguments.bind(name, ["old", "new", "count"])
            guard let old = try string(a[0], name), let new = try string(a[1], name) else {
                throw JinjaError.type("replace expected at least 2 arguments")
            }
            return .string(try JinjaStrings.replace(s, old, new, count: try integer(a[2], default: -1), limit: limit))
        case "find", "rfind", "index", "rindex":
            guard let needle = try string(try arguments.bind(name, ["sub"])[0], name) else {
                throw JinjaError.type("\(name)() takes at least 1 argument (0 given)")
            }
            let bytes = Array(s.utf8)
            let found = name.hasPrefix("r") ? JinjaStrings.findLast(Array(needle.utf8), in: bytes)
                : JinjaStrings.find(Array(needle.utf8), in: bytes)
            if let found { return .int(JinjaStrings.scalarIndex(bytes, found)) }
            if name.hasSuffix("index") { throw JinjaError.type("substring not found") }
            return .int(-1)
        case "count":
            guard let needle = try string(try arguments.bind(name, ["sub"])[0], name) else {
                throw JinjaError.type("count() takes at least 1 argument (0 given)")
            }
            return .int(JinjaStrings.count(s, needle))
        case "join":
            guard let iterable = try arguments.bind(name, ["iterable"])[0] else { throw JinjaError.type("join() takes exactly one argument (0 given)") }
            var parts: [String] = []
            for item in try evaluator.iterate(iterable) {
                guard case .string(let p) = item else {
                    throw JinjaError.type("sequence item \(parts.count): expected str instance, \(item.typeName) found")
                }
                parts.append(p)
            }
            let joined = parts.joined(separator: s)
            try evaluator.checkSize(joined.utf8.count)
            return .string(joined)
        case "format":
            return .string(try JinjaFormat.format(s, arguments))
        case "splitlines":
            let keepEnds = try arguments.bind(name, ["keepends"])[0]?.isTruthy ?? false
            return .array(JinjaStrings.splitLines(s, keepEnds: keepEnds).map { .string($0) })
        case "isdigit", "isdecimal", "isnumeric":
            let accepted: Set<Unicode.NumericType> = name == "isdecimal" ? [.decimal]
                : name == "isdigit" ? [.decimal, .digit] : [.decimal, .digit, .numeric]
            return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.numericType.map(accepted.contains) ?? false })
        case "isspace": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy(\.jinjaIsSpace))
        case "isalpha": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy(\.properties.isAlphabetic))
        case "isalnum":
            return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil })
        case "isupper": return .bool(JinjaStrings.isUpper(s))
        case "islower": return .bool(JinjaStrings.isLower(s))
        case "istitle": return .bool(!s.isEmpty && JinjaStrings.pythonTitle(s) == s && s.unicodeScalars.contains(where: JinjaStrings.isCased))
        case "center", "ljust", "rjust":
            let a = try arguments.bind(name, ["width", "fillchar"])
            let width = try integer(a[0], default: 0)
            try evaluator.checkSize(width)
            let fill = try string(a[1], name) ?? " "
            let n = s.unicodeScalars.count
            if name == "center" { return .string(JinjaStrings.center(s, width, fill: fill)) }
            let pad = String(repeating: fill, count: max(0, width - n))
            return .string(name == "ljust" ? s + pad : pad + s)
        case "zfill":
            let width = try integer(try arguments.bind(name, ["width"])[0], default: 0)
            try evaluator.checkSize(width)
            let n = s.unicodeScalars.count
            guard width > n else { return .string(s) }
            let zeros = String(repeating: "0", count: width - n)
            if let first = s.first, first == "-" || first == "+" { return .string(String(first) + zeros + s.dropFirst()) }
            return .string(zeros + s)
        case "removeprefix", "removesuffix":
            guard let affix = try string(try arguments.bind(name, ["affix"])[0], name) else { return .string(s) }
            let bytes = Array(s.utf8)
            let p = Array(affix.utf8)
            if name == "removeprefix", bytes.starts(with: p) { return .string(JinjaStrings.string(bytes[p.count...])) }
            if name == "removesuffix", !p.isEmpty, Array(bytes.suffix(p.count)) == p {
                return .string(JinjaStrings.string(bytes[..<(bytes.count - p.count)]))
            }
            return .string(s)
        case "partition", "rpartition":
            guard let sep = try string(try arguments.bind(name, ["sep"])[0], name), !sep.isEmpty else {
                throw JinjaError.type("empty separator")
            }
            let bytes = Array(s.utf8)
            let p = Array(sep.utf8)
            let found = name == "partition" ? JinjaStrings.find(p, in: bytes) : JinjaStrings.findLast(p, in: bytes)
            guard let at = found else { return name == "partition" ? [.string(s), "", ""] : ["", "", .string(s)] }
            return [.string(JinjaStrings.string(bytes[..<at])), .string(sep), .string(JinjaStrings.string(bytes[(at + p.count)...]))]
        case "expandtabs":
            return .string(s.replacingOccurrencesOfTab())
        default:
            throw JinjaError.type("'str' object has no attribute '\(name)'")
        }
    }
}

extension String {
    fileprivate func replacingOccurrencesOfTab(size: Int = 8) -> String {
        var out = ""
        var column = 0
        for c in unicodeScalars {
            if c == "\t" {
                let n = size - column % size
                out += String(repeating: " ", count: n)
                column += n
            } else {
                out.unicodeScalars.append(c)
                column = (c == "\n" || c == "\r") ? 0 : column + 1
            }
        }
        return out
    }
}

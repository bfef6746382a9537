// Filters over sequences and mappings: join, first, last, list, map, select / reject, selectattr /
// rejectattr, unique, sort, dictsort, reverse, sum, min, max, items, batch, slice. Attribute paths
// (`attribute="a.b"`, `"0"`) are looked up item-first as Jinja2's `make_attrgetter` does.

extension JinjaEvaluator {
    /// The sequence filters; nil when `name` is not one of them.
    func applySequenceFilter(_ name: String, to value: JinjaValue, _ arguments: JinjaArguments) throws -> JinjaValue? {
        func bind(_ names: [String]) throws -> [JinjaValue?] { try arguments.bind(name, names) }
        switch name {
        case "join":
            let a = try bind(["d", "attribute"])
            var items = try iterate(value)
            if let attribute = a[1], !isNone(attribute) { items = try items.map { try lookup(attribute, in: $0) } }
            let separator = try a[0]?.pythonString() ?? ""
            var out = ""
            for (i, item) in items.enumerated() {
                if i > 0 { out += separator }
                out += try item.pythonString()
                try checkSize(out.utf8.count)
            }
            return .string(out)
        case "first":
            _ = try bind([])
            return try iterate(value).first ?? .undefined
        case "last":
            _ = try bind([])
            if case .opaque(let o) = value, case .iterator = o.storage {
                throw JinjaError.type("'\(value.typeName)' object is not reversible")
            }
            return try iterate(value).last ?? .undefined
        case "list":
            _ = try bind([])
            return .array(try iterate(value))
        case "items":
            _ = try bind([])
            if value.isUndefined { return .iterator("generator", []) }
            guard case .object(let o) = value else { throw JinjaError.type("Can only get item pairs from a mapping.") }
            return .iterator("generator", o.entries.map { .array([$0, $1]) })
        case "map":
            if arguments.positional.isEmpty, let attribute = arguments.keywords.first(where: { $0.name == "attribute" })?.value {
                var fallback: JinjaValue?
                for (key, v) in arguments.keywords where key != "attribute" {
                    guard key == "default" else { throw JinjaError.type("Unexpected keyword argument '\(key)'") }
                    fallback = v
                }
                let items = try iterate(value)
                return .iterator("generator", try items.map { try lookup(attribute, in: $0, default: fallback) })
            }
            guard case .string(let filter)? = arguments.positional.first else {
                throw JinjaError.type("map requires a filter argument")
            }
            let rest = JinjaArguments(positional: Array(arguments.positional.dropFirst()), keywords: arguments.keywords)
            return .iterator("generator", try iterate(value).map { try applyFilter(filter, to: $0, rest) })
        case "select", "reject", "selectattr", "rejectattr":
            guard value.isTruthy else { return .iterator("generator", []) }
            let byAttribute = name.hasSuffix("attr")
            var positional = arguments.positional
            var attribute: JinjaValue?
            if byAttribute {
                guard !positional.isEmpty else { throw JinjaError.type("Missing parameter for attribute name") }
                attribute = positional.removeFirst()
            }
            let test = positional.isEmpty ? nil : try positional.removeFirst().pythonString()
            let rest = JinjaArguments(positional: positional, keywords: arguments.keywords)
            let keep = name.hasPrefix("select")
            let items = try iterate(value).filter { item in
                let subject = try attribute.map { try lookup($0, in: item) } ?? item
                let passed = try test.map { try applyTest($0, to: subject, rest) } ?? subject.isTruthy
                return passed == keep
            }
            return .iterator("generator", items)
        case "unique":
            let a = try bind(["case_sensitive", "attribute"])
            let caseSensitive = a[0]?.isTruthy ?? false
            var seen: [JinjaValue] = []
            var result: [JinjaValue] = []
            for item in try iterate(value) {
                var key = try a[1].map { try lookup($0, in: item) } ?? item
                if !caseSensitive { key = JinjaEvaluator.ignoreCase(key) }
                if try !seen.contains(where: { try $0.pythonEquals(key) }) {
                    seen.append(key)
                    result.append(item)
                }
            }
            return .iterator("generator", result)
        case "sort":
            let a = try bind(["reverse", "case_sensitive", "attribute"])
            let reverse = a[0]?.isTruthy ?? false
            let caseSensitive = a[1]?.isTruthy ?? false
            var attributes: [JinjaValue] = []
            if let attribute = a[2], !isNone(attribute) {
                if case .string(let s) = attribute {
                    attributes = s.split(separator: ",", omittingEmptySubsequences: false).map { .string(String($0)) }
                } else {
                    attributes = [attribute]
                }
            }
            let keyed = try iterate(value).map { item -> (JinjaValue, JinjaValue) in
                let parts = try attributes.map { try lookup($0, in: item) }
                var key: JinjaValue = attributes.isEmpty ? item : .array(parts)
                if !caseSensitive {
                    key = attributes.isEmpty ? JinjaEvaluator.ignoreCase(key) : .array(parts.map(JinjaEvaluator.ignoreCase))
                }
                return (key, item)
            }
            let sorted = try keyed.sorted { reverse ? try $1.0.pythonLess($0.0) : try $0.0.pythonLess($1.0) }
            return .array(sorted.map(\.1))
        case "dictsort":
            let a = try bind(["case_sensitive", "by", "reverse"])
            if value.isUndefined { throw JinjaError.bare(.undefinedName, "value is undefined") }
            guard case .object(let o) = value else { throw JinjaError.type("'\(value.typeName)' object has no attribute 'items'") }
            let by = try a[1]?.pythonString() ?? "key"
            guard by == "key" || by == "value" else { throw JinjaError.type("You can only sort by either \"key\" or \"value\"") }
            let caseSensitive = a[0]?.isTruthy ?? false
            let reverse = a[2]?.isTruthy ?? false
            let pairs = o.entries.map { ($0, $1) }
            func key(_ pair: (JinjaValue, JinjaValue)) -> JinjaValue {
                let k = by == "key" ? pair.0 : pair.1
                return caseSensitive ? k : JinjaEvaluator.ignoreCase(k)
            }
            let sorted = try pairs.sorted { reverse ? try key($1).pythonLess(key($0)) : try key($0).pythonLess(key($1)) }
            return .array(sorted.map { .array([$0.0, $0.1]) })
        case "reverse":
            _ = try bind([])
            switch value {
            case .string(let s): return .string(String(String.UnicodeScalarView(s.unicodeScalars.reversed())))
            case .array(let items): return .iterator("list_reverseiterator", items.reversed())
            case .object(let o): return .iterator("dict_reversekeyiterator", o.keyList.reversed())
            case .undefined: return .iterator("reversed", [])
            default: return .array(try iterate(value).reversed())
            }
        case "sum":
            let a = try bind(["attribute", "start"])
            var total = a[1] ?? .int(0)
            for item in try iterate(value) {
                let term = try a[0].map { isNone($0) ? item : try lookup($0, in: item) } ?? item
                if total.isString { throw JinjaError.type("sum() can't sum strings [use ''.join(seq) instead]") }
                if term.isUndefined { throw JinjaError.bare(.undefinedName, "value is undefined") }
                total = try JinjaOperators.binary(.add, total, term, limit: limits.maxOutputBytes)
            }
            return total
        case "min", "max":
            let a = try bind(["case_sensitive", "attribute"])
            let items = try iterate(value)
            guard var best = items.first else { return .undefined }
            func key(_ item: JinjaValue) throws -> JinjaValue {
                let k = try a[1].map { isNone($0) ? item : try lookup($0, in: item) } ?? item
                return (a[0]?.isTruthy ?? false) ? k : JinjaEvaluator.ignoreCase(k)
            }
            var bestKey = try key(best)
            for item in items.dropFirst() {
                let k = try key(item)
                if name == "min" ? try k.pythonLess(bestKey) : try bestKey.pythonLess(k) {
                    best = item
                    bestKey = k
                }
            }
            return best
        case "batch":
            let a = try bind(["linecount", "fill_with"])
            guard let count = a[0]?.integerIndex else { throw JinjaError.type("batch() requires an integer line count") }
            var rows: [JinjaValue] = []
            var row: [JinjaValue] = []
            for item in try iterate(value) {
                if row.count == count { rows.append(.array(row)); row = [] }
                row.append(item)
            }
            if !row.isEmpty {
                if let fill = a[1], !isNone(fill), row.count < count {
                    try checkSize(count)  // the fill is allocated at once: `[1]|batch(10**12, 0)` was a fatal allocation
                    row += Array(repeating: fill, count: count - row.count)
                }
                rows.append(.array(row))
            }
            return .iterator("generator", rows)
        case "slice":
            let a = try bind(["slices", "fill_with"])
            guard let slices = a[0]?.integerIndex, slices > 0 else { throw JinjaError.type("slice() requires a positive count") }
            try checkSize(slices)
            let items = try iterate(value)
            let perSlice = items.count / slices
            let withExtra = items.count % slices
            var offset = 0
            var result: [JinjaValue] = []
            for n in 0..<slices {
                let start = offset + n * perSlice
                if n < withExtra { offset += 1 }
                let end = offset + (n + 1) * perSlice
                var part = Array(items[start..<end])
                if let fill = a[1], !isNone(fill), n >= withExtra { part.append(fill) }
                result.append(.array(part))
            }
            return .iterator("generator", result)
        default:
            return nil
        }
    }

    private func isNone(_ v: JinjaValue) -> Bool { if case .none = v { return true } else { return false } }

    /// Jinja2's `make_attrgetter`: `"a.b.0"` is looked up part by part with `getitem`, digits as ints.
    func lookup(_ attribute: JinjaValue, in item: JinjaValue, default fallback: JinjaValue? = nil) throws -> JinjaValue {
        let parts: [JinjaValue]
        if case .string(let path) = attribute {
            parts = path.split(separator: ".", omittingEmptySubsequences: false).map { part in
                part.allSatisfy(\.jinjaIsDigit) && !part.isEmpty ? .int(Int(part) ?? 0) : .string(String(part))
            }
        } else {
            parts = [attribute]
        }
        var current = item
        for part in parts {
            if current.isUndefined { throw JinjaError.bare(.undefinedName, "'\(try part.pythonString())' is undefined") }
            current = try self.item(of: current, part)
            if let fallback, current.isUndefined { current = fallback }
        }
        return current
    }

    /// Jinja2's `ignore_case`: strings compare lower-cased.
    static func ignoreCase(_ v: JinjaValue) -> JinjaValue {
        if case .string(let s) = v { return .string(JinjaStrings.lower(s)) }
        return v
    }
}

extension Character {
    var jinjaIsDigit: Bool { isASCII && isNumber }
}

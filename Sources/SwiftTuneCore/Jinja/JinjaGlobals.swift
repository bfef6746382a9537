// The global functions of transformers' chat-template environment: Jinja2's `range` (capped at 100,000 items
// by the sandbox), `dict`, `namespace` (transformers' TemplateNamespace, which rejects `_` names),
// `raise_exception(message)` and `strftime_now(format)`.

import Foundation

extension JinjaEvaluator {
    static func global(_ name: String) -> JinjaValue? {
        guard let builtin = JinjaBuiltin(rawValue: name) else { return nil }
        switch builtin {
        case .lipsum, .cycler, .joiner: return nil
        default: return .opaque(JinjaOpaque(.builtin(builtin)))
        }
    }

    /// The sandbox's `MAX_RANGE`.
    static let maxRange = 100_000

    func callBuiltin(_ builtin: JinjaBuiltin, _ arguments: JinjaArguments) throws -> JinjaValue {
        switch builtin {
        case .range:
            guard arguments.keywords.isEmpty else { throw JinjaError.type("range() takes no keyword arguments") }
            let ints = try arguments.positional.map { v -> Int in
                guard let i = v.integerIndex else { throw JinjaError.type("'\(v.typeName)' object cannot be interpreted as an integer") }
                return i
            }
            let (start, stop, step): (Int, Int, Int)
            switch ints.count {
            case 1: (start, stop, step) = (0, ints[0], 1)
            case 2: (start, stop, step) = (ints[0], ints[1], 1)
            case 3: (start, stop, step) = (ints[0], ints[1], ints[2])
            default: throw JinjaError.type("range expected 1 to 3 arguments, got \(ints.count)")
            }
            guard step != 0 else { throw JinjaError.type("range() arg 3 must not be zero") }
            let span = step > 0 ? stop.subtractingReportingOverflow(start) : start.subtractingReportingOverflow(stop)
            let count = span.overflow ? Int.max
                : (span.partialValue <= 0 ? 0 : Int((UInt(span.partialValue) - 1) / step.magnitude) + 1)
            if count > JinjaEvaluator.maxRange {
                throw JinjaError.bare(.limit, "Range too big. The sandbox blocks ranges larger than MAX_RANGE (\(JinjaEvaluator.maxRange)).")
            }
            return .array((0..<count).map { .int(start + $0 * step) })
        case .dict:
            var object = JinjaObject()
            guard arguments.positional.count <= 1 else {
                throw JinjaError.type("dict expected at most 1 argument, got \(arguments.positional.count)")
            }
            if let source = arguments.positional.first {
                switch source {
                case .object(let o): object = o
                default:
                    for pair in try iterate(source) {
                        let kv = try iterate(pair)
                        guard kv.count == 2 else { throw JinjaError.type("dictionary update sequence element has length \(kv.count); 2 is required") }
                        try object.set(kv[1], for: kv[0])
                    }
                }
            }
            for (key, value) in arguments.keywords { object[key] = value }
            return .object(object)
        case .namespace:
            var attributes = JinjaObject()
            guard arguments.positional.count <= 1 else { throw JinjaError.type("namespace expected at most 1 argument") }
            if let source = arguments.positional.first {
                guard case .object(let o) = try callBuiltin(.dict, JinjaArguments(positional: [source])) else { return .undefined }
                attributes = o
            }
            for (key, value) in arguments.keywords { attributes[key] = value }
            attributes.origin = nil
            for key in attributes.keys where key.hasPrefix("_") {
                throw JinjaError.type("Chat templates cannot store underscore-prefixed attributes on a namespace, but got '\(key)'. Please rename the attribute.")
            }
            return .opaque(JinjaOpaque(.namespace(JinjaNamespace(attributes))))
        case .raiseException:
            let message = try arguments.positional.first?.pythonString()
                ?? arguments.keywords.first(where: { $0.name == "message" })?.value.pythonString() ?? ""
            throw JinjaError.bare(.raised, message)
        case .strftimeNow:
            guard let format = try arguments.bind("strftime_now", ["format"])[0] else {
                throw JinjaError.type("strftime_now() missing 1 required positional argument: 'format'")
            }
            guard case .string(let f) = format else { throw JinjaError.type("strftime() argument 1 must be str, not \(format.typeName)") }
            return .string(JinjaStrftime.format(f, date: now(), timeZone: .current))
        case .lipsum, .cycler, .joiner:
            throw JinjaError.type("'\(builtin.rawValue)' is not supported")
        }
    }
}

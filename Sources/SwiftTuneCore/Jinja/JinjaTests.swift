// Jinja2's built-in tests (jinja2/tests.py): `x is defined`, `is none`, `is string`, `is mapping`,
// `is divisibleby(3)`, `is equalto(y)`, `is in(seq)`, the comparison aliases (`eq`, `lt`, `>=`, …) and the rest.

enum JinjaTests {
    /// Every test name Jinja2 3.1 defines.
    static let known: Set<String> = [
        "odd", "even", "divisibleby", "defined", "undefined", "filter", "test", "none", "boolean", "false",
        "true", "integer", "float", "lower", "upper", "string", "mapping", "number", "sequence", "iterable",
        "callable", "sameas", "escaped", "in", "==", "eq", "equalto", "!=", "ne", ">", "gt", "greaterthan",
        "ge", ">=", "<", "lt", "lessthan", "<=", "le",
    ]
}

extension JinjaEvaluator {
    /// Runs test `name` on `value`.
    func applyTest(_ name: String, to original: JinjaValue, _ arguments: JinjaArguments) throws -> Bool {
        if original.markupText != nil, name == "string" || name == "escaped" { return true }
        let value = original.plain
        func other() throws -> JinjaValue {
            guard let v = try arguments.bind(name, ["other"])[0] else {
                throw JinjaError.type("test '\(name)' takes one argument")
            }
            return v
        }
        func integer() throws -> Int {
            if value.isUndefined { throw JinjaError.bare(.undefinedName, "value is undefined") }
            guard let i = value.integerIndex else {
                if case .double(let d) = value, d.rounded(.towardZero) == d, let i = Int(exactly: d) { return i }
                throw JinjaError.type("unsupported operand type(s) for %: '\(value.typeName)' and 'int'")
            }
            return i
        }
        switch name {
        case "odd": return try integer() & 1 == 1
        case "even": return try integer() & 1 == 0
        case "divisibleby":
            let n = try other()
            guard let d = n.integerIndex else { throw JinjaError.type("divisibleby requires an integer") }
            guard d != 0 else { throw JinjaError.type("integer division or modulo by zero") }
            if d == -1 { return true }
            return try integer() % d == 0
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": if case .none = value { return true } else { return false }
        case "boolean": if case .bool = value { return true } else { return false }
        case "true": if case .bool(true) = value { return true } else { return false }
        case "false": if case .bool(false) = value { return true } else { return false }
        case "integer": if case .int = value { return true } else { return false }
        case "float": if case .double = value { return true } else { return false }
        case "number": return value.number != nil
        case "string": return value.isString
        case "mapping": if case .object = value { return true } else { return false }
        case "lower": return JinjaStrings.isLower(try value.pythonString())
        case "upper": return JinjaStrings.isUpper(try value.pythonString())
        case "sequence":
            switch value {
            case .string, .array, .object, .undefined: return true
            default: return false
            }
        case "iterable":
            switch value {
            case .string, .array, .object, .undefined: return true
            case .opaque(let o): if case .iterator = o.storage { return true } else { return false }
            default: return false
            }
        case "callable":
            if case .opaque(let o) = value { return o.storage.isCallable }
            return false
        case "sameas":
            let o = try other()
            switch (value, o) {
            case (.none, .none), (.undefined, .undefined): return true
            case (.bool(let a), .bool(let b)): return a == b
            case (.opaque(let a), .opaque(let b)): return a == b
            case (.int(let a), .int(let b)): return a == b && (-5...256).contains(a)
            default: return false
            }
        case "escaped": return false
        case "filter": return JinjaFilters.known.contains(try value.pythonString())
        case "test": return JinjaTests.known.contains(try value.pythonString())
        case "in": return try contains(try other(), value)
        case "==", "eq", "equalto": return try compare(.equal, value, try other())
        case "!=", "ne": return try compare(.notEqual, value, try other())
        case ">", "gt", "greaterthan": return try compare(.greater, value, try other())
        case ">=", "ge": return try compare(.greaterOrEqual, value, try other())
        case "<", "lt", "lessthan": return try compare(.less, value, try other())
        case "<=", "le": return try compare(.lessOrEqual, value, try other())
        default:
            throw JinjaError.bare(.unknownTest, "No test named '\(name)' found.")
        }
    }
}

// Python's arithmetic on template values: `+ - * / // % **` and unary `-` / `+`, with Python's rules
// (`/` is always float, `//` and `%` floor towards negative infinity, bools are ints, `str * int` repeats,
// `str % args` formats). Int results that would not fit 64 bits throw instead of trapping (Python would
// switch to a big integer), and repetitions are checked against the output limit before they allocate.

import Foundation

enum JinjaOperators {
    static func unary(_ op: JinjaUnaryOperator, _ value: JinjaValue) throws -> JinjaValue {
        switch (op, value.number) {
        case (.negate, .int(let i)?):
            let (r, overflow) = Int(0).subtractingReportingOverflow(i)
            if overflow { throw overflowError() }
            return .int(r)
        case (.negate, .double(let d)?): return .double(-d)
        case (.plus, .int(let i)?): return .int(i)
        case (.plus, .double(let d)?): return .double(d)
        default:
            throw JinjaError.type("bad operand type for unary \(op == .negate ? "-" : "+"): '\(value.typeName)'")
        }
    }

    static func overflowError() -> JinjaError {
        JinjaError.bare(.limit, "integer result does not fit in 64 bits")
    }

    static func binary(_ op: JinjaBinaryOperator, _ left: JinjaValue, _ right: JinjaValue, limit: Int) throws -> JinjaValue {
        // markupsafe: `Markup + str`, `str + Markup` and `Markup % args` escape the plain strings.
        let (markupLeft, markupRight) = (left.markupText, right.markupText)
        if markupLeft != nil || markupRight != nil {
            switch op {
            case .add:
                guard let l = markupLeft ?? left.stringText, let r = markupRight ?? right.stringText else { break }
                let joined = (markupLeft == nil ? JinjaEvaluator.htmlEscape(l) : l) + (markupRight == nil ? JinjaEvaluator.htmlEscape(r) : r)
                if joined.utf8.count > limit { throw JinjaError.bare(.limit, "string exceeds \(limit) bytes") }
                return .markup(joined)
            case .modulo where markupLeft != nil:
                return .markup(try JinjaFormat.printf(markupLeft ?? "", JinjaOperators.escapeArguments(right)))
            case .multiply:
                if case .string(let s) = try binary(op, left.plain, right.plain, limit: limit) { return .markup(s) }
            default:
                break
            }
        }
        let (a, b) = (left.plain, right.plain)
        switch (op, a, b) {
        case (.add, .string(let x), .string(let y)):
            if x.utf8.count + y.utf8.count > limit { throw JinjaError.bare(.limit, "string exceeds \(limit) bytes") }
            return .string(x + y)
        case (.add, .array(let x), .array(let y)):
            return .array(x + y)
        case (.multiply, .string(let s), _), (.multiply, _, .string(let s)):
            guard let n = (a.isString ? b : a).integerIndex else { break }
            return .string(String(repeating: s, count: try repetitions(n, unit: s.utf8.count, limit: limit)))
        case (.multiply, .array(let items), _), (.multiply, _, .array(let items)):
            guard let n = (a.isArray ? b : a).integerIndex else { break }
            let count = try repetitions(n, unit: max(items.count, 1) * 8, limit: limit)
            return .array(Array([[JinjaValue]](repeating: items, count: count).joined()))
        case (.modulo, .string(let format), _):
            return .string(try JinjaFormat.printf(format, b))
        default:
            break
        }
        guard let x = a.number, let y = b.number else {
            throw JinjaError.type("unsupported operand type(s) for \(op.rawValue): '\(a.typeName)' and '\(b.typeName)'")
        }
        if case .int(let i) = x, case .int(let j) = y { return try integer(op, i, j) }
        return try double(op, x.asDouble, y.asDouble)
    }

    /// markupsafe escapes the arguments of `Markup % args`.
    static func escapeArguments(_ value: JinjaValue) throws -> JinjaValue {
        switch value {
        case .string(let s): return .string(JinjaEvaluator.htmlEscape(s))
        case .array(let items): return .array(try items.map(escapeArguments))
        case .object(var o):
            for key in o.keys { if case .string(let s)? = o[key] { o[key] = .string(JinjaEvaluator.htmlEscape(s)) } }
            return .object(o)
        default: return value
        }
    }

    private static func repetitions(_ n: Int, unit: Int, limit: Int) throws -> Int {
        // An empty unit repeats to nothing whatever n is; returning n there made `'' * 3 ** 22` build an empty
        // string 3^22 times (a hang found by Fuzz/FuzzJinja).
        guard n > 0, unit > 0 else { return 0 }
        let (total, overflow) = n.multipliedReportingOverflow(by: unit)
        if overflow || total > limit { throw JinjaError.bare(.limit, "repetition exceeds \(limit) bytes") }
        return n
    }

    private static func integer(_ op: JinjaBinaryOperator, _ i: Int, _ j: Int) throws -> JinjaValue {
        func checked(_ r: (partialValue: Int, overflow: Bool)) throws -> JinjaValue {
            if r.overflow { throw overflowError() }
            return .int(r.partialValue)
        }
        switch op {
        case .add: return try checked(i.addingReportingOverflow(j))
        case .subtract: return try checked(i.subtractingReportingOverflow(j))
        case .multiply: return try checked(i.multipliedReportingOverflow(by: j))
        case .divide:
            guard j != 0 else { throw JinjaError.type("division by zero") }
            return .double(Double(i) / Double(j))
        case .floorDivide:
            guard j != 0 else { throw JinjaError.type("integer division or modulo by zero") }
            if i == .min, j == -1 { throw overflowError() }
            let q = i / j
            return .int((i % j != 0) && ((i < 0) != (j < 0)) ? q - 1 : q)
        case .modulo:
            guard j != 0 else { throw JinjaError.type("integer division or modulo by zero") }
            if j == -1 { return .int(0) }
            let r = i % j
            return .int(r != 0 && ((r < 0) != (j < 0)) ? r + j : r)
        case .power:
            if j < 0 {
                guard i != 0 else { throw JinjaError.type("0.0 cannot be raised to a negative power") }
                return .double(Foundation.pow(Double(i), Double(j)))
            }
            var result = 1
            var base = i
            var exponent = j
            while exponent > 0 {
                if exponent & 1 == 1 {
                    let r = result.multipliedReportingOverflow(by: base)
                    if r.overflow { throw overflowError() }
                    result = r.partialValue
                }
                exponent >>= 1
                if exponent > 0 {
                    let r = base.multipliedReportingOverflow(by: base)
                    if r.overflow { throw overflowError() }
                    base = r.partialValue
                }
            }
            return .int(result)
        }
    }

    private static func double(_ op: JinjaBinaryOperator, _ x: Double, _ y: Double) throws -> JinjaValue {
        switch op {
        case .add: return .double(x + y)
        case .subtract: return .double(x - y)
        case .multiply: return .double(x * y)
        case .divide:
            guard y != 0 else { throw JinjaError.type("float division by zero") }
            return .double(x / y)
        case .floorDivide, .modulo:
            guard y != 0 else { throw JinjaError.type(op == .modulo ? "float modulo" : "float floor division by zero") }
            // CPython's float_divmod.
            var mod = fmod(x, y)
            var div = (x - mod) / y
            if mod != 0 {
                if (y < 0) != (mod < 0) {
                    mod += y
                    div -= 1
                }
            } else {
                mod = (0.0).jinjaWithSign(y)
            }
            var floorDiv: Double
            if div != 0 {
                floorDiv = div.rounded(.down)
                if div - floorDiv > 0.5 { floorDiv += 1 }
            } else {
                floorDiv = (0.0).jinjaWithSign(x / y)
            }
            return .double(op == .modulo ? mod : floorDiv)
        case .power:
            if x == 0, y < 0 { throw JinjaError.type("0.0 cannot be raised to a negative power") }
            if x < 0, y.rounded() != y { throw JinjaError.type("complex results are not supported") }
            let r = Foundation.pow(x, y)
            if r.isInfinite, x.isFinite, y.isFinite { throw JinjaError.bare(.limit, "(34, 'Numerical result out of range')") }
            return .double(r)
        }
    }
}

extension Double {
    func jinjaWithSign(_ other: Double) -> Double { other.sign == .minus ? -abs(self) : abs(self) }
}

extension JinjaValue {
    /// The text of a plain string.
    var stringText: String? { if case .string(let s) = self { return s } else { return nil } }
    var isString: Bool { if case .string = self { return true } else { return false } }
    var isArray: Bool { if case .array = self { return true } else { return false } }
}

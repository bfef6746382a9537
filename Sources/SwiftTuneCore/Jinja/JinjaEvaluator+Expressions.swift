// Expressions: names, literals, attribute and item access with the rules of Jinja2's sandboxed environment,
// slicing, comparisons, `and` / `or` (returning an operand, as Python does), inline `if`, tests and filters.

extension JinjaEvaluator {
    func evaluate(_ expression: JinjaExpression, in scope: JinjaScope) throws -> JinjaValue {
        do {
            return try evaluateUnlocated(expression, in: scope)
        } catch let e as JinjaError where e.line == 0 || e.template.isEmpty {
            throw located(e, line: expression.line)
        }
    }

    private func evaluateUnlocated(_ expression: JinjaExpression, in scope: JinjaScope) throws -> JinjaValue {
        switch expression.kind {
        case .literal(let value):
            return value
        case .name(let name):
            return scope.lookup(name) ?? JinjaEvaluator.global(name) ?? .undefined
        case .list(let items), .tuple(let items):
            return .array(try items.map { try evaluate($0, in: scope) })
        case .dict(let pairs):
            var object = JinjaObject()
            for (keyExpression, valueExpression) in pairs {
                let key = try evaluate(keyExpression, in: scope)
                let value = try evaluate(valueExpression, in: scope)
                try object.set(value, for: key)
            }
            return .object(object)
        case .attribute(let baseExpression, let name):
            let base = try evaluate(baseExpression, in: scope)
            if base.isUndefined { throw undefinedError(baseExpression) }
            return attribute(of: base, name)
        case .item(let baseExpression, let keyExpression):
            let base = try evaluate(baseExpression, in: scope)
            if base.isUndefined { throw undefinedError(baseExpression) }
            return try item(of: base, try evaluate(keyExpression, in: scope))
        case .slice(let baseExpression, let start, let stop, let step):
            let base = try evaluate(baseExpression, in: scope)
            if base.isUndefined { throw undefinedError(baseExpression) }
            func bound(_ e: JinjaExpression?) throws -> JinjaValue { try e.map { try evaluate($0, in: scope) } ?? .none }
            return try slice(base, try bound(start), try bound(stop), try bound(step))
        case .call(let callee, let arguments):
            return try evaluateCall(callee, arguments, in: scope, line: expression.line)
        case .filter(let value, let name, let arguments):
            let input = try value.map { try evaluate($0, in: scope) } ?? .undefined
            return try applyFilter(name, to: input, try evaluateArguments(arguments, in: scope))
        case .test(let valueExpression, let name, let arguments):
            let value = try evaluate(valueExpression, in: scope)
            return .bool(try applyTest(name, to: value, try evaluateArguments(arguments, in: scope)))
        case .unary(let op, let operandExpression):
            let operand = try evaluate(operandExpression, in: scope)
            if operand.isUndefined { throw undefinedError(operandExpression) }
            return try JinjaOperators.unary(op, operand)
        case .binary(let op, let leftExpression, let rightExpression):
            let left = try evaluate(leftExpression, in: scope)
            let right = try evaluate(rightExpression, in: scope)
            if left.isUndefined { throw undefinedError(leftExpression) }
            if right.isUndefined { throw undefinedError(rightExpression) }
            return try JinjaOperators.binary(op, left, right, limit: limits.maxOutputBytes)
        case .compare(let firstExpression, let rest):
            var left = try evaluate(firstExpression, in: scope)
            var leftExpression = firstExpression
            for (op, operandExpression) in rest {
                let right = try evaluate(operandExpression, in: scope)
                let holds: Bool
                do {
                    holds = try compare(op, left, right)
                } catch let e as JinjaError where e.kind == .undefinedName {
                    throw undefinedError(left.isUndefined ? leftExpression : operandExpression)
                }
                if !holds { return .bool(false) }
                left = right
                leftExpression = operandExpression
            }
            return .bool(true)
        case .and(let a, let b):
            let left = try evaluate(a, in: scope)
            return left.isTruthy ? try evaluate(b, in: scope) : left
        case .or(let a, let b):
            let left = try evaluate(a, in: scope)
            return left.isTruthy ? left : try evaluate(b, in: scope)
        case .not(let operand):
            return .bool(!(try evaluate(operand, in: scope).isTruthy))
        case .concat(let parts):
            var text = ""
            for part in parts {
                text += try evaluate(part, in: scope).pythonString()
                try checkSize(text.utf8.count)
            }
            return .string(text)
        case .conditional(let test, let value, let otherwise):
            if try evaluate(test, in: scope).isTruthy { return try evaluate(value, in: scope) }
            return try otherwise.map { try evaluate($0, in: scope) } ?? .undefined
        }
    }

    /// Jinja2's `UndefinedError` for using an undefined value (`'x' is undefined`).
    func undefinedError(_ expression: JinjaExpression) -> JinjaError {
        JinjaError(kind: .undefinedName, template: templateName, line: expression.line,
                   message: "'\(JinjaEvaluator.describe(expression))' is undefined")
    }

    static func describe(_ expression: JinjaExpression) -> String {
        switch expression.kind {
        case .name(let n): return n
        case .attribute(let base, let name): return describe(base) + "." + name
        case .item(let base, let key):
            if case .literal(let k) = key.kind, let text = try? k.pythonRepr() { return describe(base) + "[" + text + "]" }
            return describe(base) + "[…]"
        case .call(let callee, _): return describe(callee) + "(…)"
        case .filter(_, let name, _): return "…|" + name
        default: return "value"
        }
    }

    /// Applies `| f | g` (whose innermost input is nil) to a captured block.
    func applyFilterChain(_ chain: JinjaExpression, to input: JinjaValue, in scope: JinjaScope) throws -> JinjaValue {
        guard case .filter(let inner, let name, let arguments) = chain.kind else { return input }
        do {
            let value = try inner.map { try applyFilterChain($0, to: input, in: scope) } ?? input
            return try applyFilter(name, to: value, try evaluateArguments(arguments, in: scope))
        } catch let e as JinjaError where e.line == 0 || e.template.isEmpty {
            throw located(e, line: chain.line)
        }
    }

    // MARK: - Attributes and items

    /// Jinja2's sandboxed `getattr(obj, name)`: a Python attribute (a method) first, then `obj[name]`;
    /// missing gives Undefined. Methods that mutate lists and dicts are unsafe in the immutable sandbox and
    /// give Undefined too (calling them raises).
    func attribute(of value: JinjaValue, _ name: String) -> JinjaValue {
        if name.hasPrefix("_") { return .undefined }
        let base = value.plain
        switch base {
        case .object(let o):
            if JinjaMethods.has(name, on: base) { return boundMethod(base, name) }
            if JinjaMethods.isUnsafe(name, on: base) { return .undefined }
            return o[name] ?? .undefined
        case .opaque(let o):
            switch o.storage {
            case .namespace(let ns): return ns.attributes[name] ?? .undefined
            case .loop(let loop):
                if let value = loop.attribute(name) { return value }
                return JinjaMethods.has(name, on: base) ? boundMethod(base, name) : .undefined
            default: return .undefined
            }
        default:
            return JinjaMethods.has(name, on: base) ? boundMethod(value, name) : .undefined
        }
    }

    private func boundMethod(_ receiver: JinjaValue, _ name: String) -> JinjaValue {
        .opaque(JinjaOpaque(.method(JinjaBoundMethod(receiver: receiver, name: name))))
    }

    /// Jinja2's sandboxed `getitem(obj, key)`: `obj[key]` first, then (for string keys) the attribute.
    func item(of value: JinjaValue, _ keyValue: JinjaValue) throws -> JinjaValue {
        let (base, key) = (value.plain, keyValue.plain)
        switch (base, key) {
        case (.array(let items), _):
            if let i = key.integerIndex { return JinjaEvaluator.element(items, i) ?? .undefined }
        case (.string(let s), _):
            if let i = key.integerIndex {
                let scalars = Array(s.unicodeScalars)
                let wrap: (String) -> JinjaValue = value.markupText == nil ? { .string($0) } : { .markup($0) }
                return JinjaEvaluator.element(scalars, i).map { wrap(String($0)) } ?? .undefined
            }
        case (.object(let o), _):
            if let value = o.value(for: key) { return value }
        default:
            break
        }
        if case .string(let name) = key { return attribute(of: base, name) }
        return .undefined
    }

    static func element<T>(_ items: [T], _ i: Int) -> T? {
        let j = i < 0 ? items.count + i : i
        return j >= 0 && j < items.count ? items[j] : nil
    }

    /// Python's slicing of lists and strings (by code point); other values give Undefined.
    func slice(_ base: JinjaValue, _ start: JinjaValue, _ stop: JinjaValue, _ step: JinjaValue) throws -> JinjaValue {
        func index(_ v: JinjaValue) throws -> Int? {
            if case .none = v { return nil }
            guard let i = v.integerIndex else { throw JinjaError.type("slice indices must be integers or None or have an __index__ method") }
            return i
        }
        let step = try index(step) ?? 1
        guard step != 0 else { throw JinjaError.type("slice step cannot be zero") }
        let (a, b) = (try index(start), try index(stop))
        switch base.plain {
        case .array(let items):
            return .array(JinjaEvaluator.pythonSlice(items, a, b, step))
        case .string(let s):
            var view = String.UnicodeScalarView()
            view.append(contentsOf: JinjaEvaluator.pythonSlice(Array(s.unicodeScalars), a, b, step))
            return .string(String(view))
        default:
            return .undefined
        }
    }

    /// CPython's `PySlice_AdjustIndices` followed by the walk.
    static func pythonSlice<T>(_ items: [T], _ start: Int?, _ stop: Int?, _ step: Int) -> [T] {
        let n = items.count
        func clamp(_ v: Int?, _ defaultValue: Int, low: Int, high: Int) -> Int {
            guard var v else { return defaultValue }
            if v < 0 {
                v = v < -n ? low : v + n
                if v < 0 { v = low }
            } else if v > high {
                v = high
            }
            return v
        }
        var result: [T] = []
        if step > 0 {
            let a = clamp(start, 0, low: 0, high: n)
            let b = clamp(stop, n, low: 0, high: n)
            var i = a
            while i < b {
                result.append(items[i])
                let (next, overflow) = i.addingReportingOverflow(step)
                if overflow { break }
                i = next
            }
        } else {
            let a = clamp(start, n - 1, low: -1, high: n - 1)
            let b = clamp(stop, -1, low: -1, high: n - 1)
            var i = a
            while i > b {
                result.append(items[i])
                let (next, overflow) = i.addingReportingOverflow(step)
                if overflow { break }
                i = next
            }
        }
        return result
    }

    // MARK: - Comparisons

    func compare(_ op: JinjaCompareOperator, _ left: JinjaValue, _ right: JinjaValue) throws -> Bool {
        switch op {
        case .equal: return try left.pythonEquals(right)
        case .notEqual: return !(try left.pythonEquals(right))
        case .less: return try left.pythonLess(right, op: "<")
        case .lessOrEqual: return try left.pythonLess(right, op: "<=") || left.pythonEquals(right)
        case .greater: return try right.pythonLess(left, op: ">")
        case .greaterOrEqual: return try right.pythonLess(left, op: ">=") || left.pythonEquals(right)
        case .contains: return try contains(right, left)
        case .notContains: return !(try contains(right, left))
        }
    }

    /// Python's `needle in container`.
    func contains(_ containerValue: JinjaValue, _ needleValue: JinjaValue) throws -> Bool {
        let (container, needle) = (containerValue.plain, needleValue.plain)
        switch container {
        case .string(let s):
            guard case .string(let n) = needle else {
                if needle.isUndefined { throw JinjaError.bare(.undefinedName, "value is undefined") }
                throw JinjaError.type("'in <string>' requires string as left operand, not \(needle.typeName)")
            }
            return JinjaStrings.find(Array(n.utf8), in: Array(s.utf8)) != nil
        case .object(let o):
            return o.value(for: needle) != nil
        case .array, .undefined:
            return try iterate(container).contains { try $0.pythonEquals(needle) }
        case .opaque(let o):
            if case .iterator = o.storage { return try iterate(container).contains { try $0.pythonEquals(needle) } }
            if case .namespace = o.storage { throw JinjaError.type("argument of type 'Namespace' is not iterable") }
            throw JinjaError.type("argument of type '\(container.typeName)' is not iterable")
        default:
            throw JinjaError.type("argument of type '\(container.typeName)' is not iterable")
        }
    }
}

extension JinjaValue {
    /// An int (or bool) usable as an index.
    var integerIndex: Int? {
        switch self {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }
}

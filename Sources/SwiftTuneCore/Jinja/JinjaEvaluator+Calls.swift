// Calls: argument lists (with `*args` / `**kwargs`), macros (Jinja2's `Macro.__call__` binding rules,
// `varargs`, `kwargs`, `caller`), global functions and Python methods.

/// Evaluated arguments of a call, filter or test.
struct JinjaArguments {
    var positional: [JinjaValue] = []
    var keywords: [(name: String, value: JinjaValue)] = []

    var isEmpty: Bool { positional.isEmpty && keywords.isEmpty }

    /// Binds the arguments to a Python-style signature: positional first, then by keyword. Missing
    /// parameters are `nil`. Throws a TypeError for extra or unknown arguments, as Python would.
    func bind(_ function: String, _ names: [String]) throws -> [JinjaValue?] {
        guard positional.count <= names.count else {
            throw JinjaError.type("\(function)() takes at most \(names.count) argument(s) (\(positional.count) given)")
        }
        var bound: [JinjaValue?] = positional.map { $0 } + Array(repeating: nil, count: names.count - positional.count)
        for (name, value) in keywords {
            guard let i = names.firstIndex(of: name) else {
                throw JinjaError.type("\(function)() got an unexpected keyword argument '\(name)'")
            }
            if bound[i] != nil { throw JinjaError.type("\(function)() got multiple values for argument '\(name)'") }
            bound[i] = value
        }
        return bound
    }
}

extension JinjaEvaluator {
    func evaluateArguments(_ arguments: JinjaCallArguments, in scope: JinjaScope) throws -> JinjaArguments {
        var result = JinjaArguments()
        result.positional = try arguments.positional.map { try evaluate($0, in: scope) }
        result.keywords = try arguments.keywords.map { ($0.name, try evaluate($0.value, in: scope)) }
        if let star = arguments.star {
            result.positional += try iterate(try evaluate(star, in: scope))
        }
        if let doubleStar = arguments.doubleStar {
            guard case .object(let o) = try evaluate(doubleStar, in: scope) else {
                throw JinjaError.type("argument after ** must be a mapping")
            }
            result.keywords += o.pairs.map { ($0, $1) }  // (** of non-string keys is a TypeError in Python)
        }
        return result
    }

    /// `callee(arguments)`; `caller` is the body of a `{% call %}` block.
    func evaluateCall(_ callee: JinjaExpression, _ arguments: JinjaCallArguments, in scope: JinjaScope, line: Int,
                      caller: JinjaValue? = nil) throws -> JinjaValue {
        // `x.method(...)`: call the Python method directly instead of building a bound method.
        if case .attribute(let receiverExpression, let name) = callee.kind {
            let receiver = try evaluate(receiverExpression, in: scope)
            if receiver.isUndefined { throw undefinedError(receiverExpression) }
            if JinjaMethods.isUnsafe(name, on: receiver) {
                throw error(.type, "access to attribute '\(name)' of '\(receiver.typeName)' object is unsafe.", line: line)
            }
            let target = attribute(of: receiver, name)
            if target.isUndefined { throw undefinedError(callee) }
            return try call(target, try evaluateArguments(arguments, in: scope), caller: caller)
        }
        let target = try evaluate(callee, in: scope)
        if target.isUndefined { throw undefinedError(callee) }
        return try call(target, try evaluateArguments(arguments, in: scope), caller: caller)
    }

    func call(_ target: JinjaValue, _ arguments: JinjaArguments, caller: JinjaValue? = nil) throws -> JinjaValue {
        guard case .opaque(let o) = target else {
            throw JinjaError.type("'\(target.typeName)' object is not callable")
        }
        switch o.storage {
        case .macro(let macro): return try callMacro(macro, arguments, caller: caller)
        case .builtin(let builtin): return try callBuiltin(builtin, arguments)
        case .method(let method): return try JinjaMethods.call(method.name, on: method.receiver, arguments, self)
        default: throw JinjaError.type("'\(target.typeName)' object is not callable")
        }
    }

    /// Jinja2's `Macro._invoke`: positional parameters, then keywords; extra positional arguments go to
    /// `varargs` and extra keywords to `kwargs` when the body uses them, and are an error otherwise; missing
    /// parameters take their default (evaluated in the call's scope) or Undefined.
    func callMacro(_ macro: JinjaMacro, _ arguments: JinjaArguments, caller: JinjaValue?) throws -> JinjaValue {
        let node = macro.node
        callDepth += 1
        defer { callDepth -= 1 }
        if callDepth > limits.maxDepth {
            throw error(.limit, "macro calls nested deeper than \(limits.maxDepth) levels", line: node.line)
        }
        let scope = JinjaScope(parent: macro.closure)
        var given = Array(repeating: false, count: node.parameters.count)
        for (i, value) in arguments.positional.prefix(node.parameters.count).enumerated() {
            scope.set(node.parameters[i].name, value)
            given[i] = true
        }
        let extra = Array(arguments.positional.dropFirst(node.parameters.count))
        if !extra.isEmpty, !node.usesVarargs {
            throw JinjaError.type("macro '\(node.name)' takes not more than \(node.parameters.count) argument(s)")
        }
        var kwargs = JinjaObject()
        var callerValue = caller
        for (name, value) in arguments.keywords {
            if let i = node.parameters.firstIndex(where: { $0.name == name }) {
                if given[i] { throw JinjaError.type("macro '\(node.name)' got multiple values for argument '\(name)'") }
                scope.set(name, value)
                given[i] = true
            } else if name == "caller" {
                callerValue = value
            } else if node.usesKwargs {
                kwargs[name] = value
            } else {
                throw JinjaError.type("macro '\(node.name)' takes no keyword argument '\(name)'")
            }
        }
        for (i, parameter) in node.parameters.enumerated() where !given[i] {
            let value = try parameter.defaultValue.map { try evaluate($0, in: scope) } ?? .undefined
            scope.set(parameter.name, value)
        }
        if node.usesVarargs { scope.set("varargs", .array(extra)) }
        if node.usesKwargs { scope.set("kwargs", .object(kwargs)) }
        if let callerValue { scope.set("caller", callerValue) }
        let text = try capture { _ = try execute(node.body, in: scope) }
        return .string(text)
    }
}

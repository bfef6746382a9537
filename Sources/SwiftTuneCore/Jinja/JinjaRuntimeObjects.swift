// The values behind ``JinjaOpaque``: things that exist only while a template renders. The classes among them
// are mutable (a namespace's attributes, the loop's position, an iterator being consumed) and are marked
// `@unchecked Sendable` because a render creates them and never shares them outside its own thread; the
// rendered text is all that leaves `render`.

/// What an opaque value is.
enum JinjaOpaqueStorage: Sendable {
    /// `namespace(...)`: the one mutable object templates have (`{% set ns.x = … %}`).
    case namespace(JinjaNamespace)
    /// A `{% macro %}` (or the `caller` of a call block) with the scope it was defined in.
    case macro(JinjaMacro)
    /// The `loop` variable of a `{% for %}`.
    case loop(JinjaLoop)
    /// A one-shot Python iterator, as returned by `select`, `map`, `reverse`, …
    case iterator(JinjaIterator)
    /// A global function such as `range`.
    case builtin(JinjaBuiltin)
    /// `receiver.name` for a Python method, unbound from a call (`{{ d.items }}`, `x.upper is callable`).
    case method(JinjaBoundMethod)
    /// markupsafe's `Markup`: a string marked safe by `| safe` or `| escape`. It prints as its text, but
    /// `markup + "text"` escapes the plain operand (which some templates rely on without meaning to).
    case markup(String)

    var typeName: String {
        switch self {
        case .namespace: return "Namespace"
        case .macro: return "Macro"
        case .loop: return "LoopContext"
        case .iterator(let it): return it.kind
        case .builtin: return "builtin_function_or_method"
        case .method: return "builtin_function_or_method"
        case .markup: return "Markup"
        }
    }

    var repr: String {
        switch self {
        case .namespace(let ns):
            return "<Namespace " + ((try? JinjaValue.object(ns.attributes).pythonRepr()) ?? "{}") + ">"
        case .macro(let m): return "<Macro '\(m.node.name)'>"
        case .loop(let l): return "<LoopContext \(l.index0 + 1)/\(l.items.count)>"
        case .iterator(let it): return "<\(it.kind) object>"
        case .builtin(let b): return "<built-in function \(b.rawValue)>"
        case .method(let m): return "<built-in method \(m.name) of \(m.receiver.typeName) object>"
        case .markup(let s): return "Markup(" + JinjaValue.pythonStringRepr(s) + ")"
        }
    }

    var isCallable: Bool {
        switch self {
        case .macro, .builtin, .method: return true
        case .namespace, .loop, .iterator, .markup: return false
        }
    }

    func identical(to other: JinjaOpaqueStorage) -> Bool {
        switch (self, other) {
        case (.namespace(let a), .namespace(let b)): return a === b
        case (.macro(let a), .macro(let b)): return a === b
        case (.loop(let a), .loop(let b)): return a === b
        case (.iterator(let a), .iterator(let b)): return a === b
        case (.builtin(let a), .builtin(let b)): return a == b
        case (.method(let a), .method(let b)): return a === b
        case (.markup(let a), .markup(let b)): return a.utf8.elementsEqual(b.utf8)
        default: return false
        }
    }
}

final class JinjaNamespace: @unchecked Sendable {
    var attributes: JinjaObject
    init(_ attributes: JinjaObject) { self.attributes = attributes }
}

final class JinjaMacro: @unchecked Sendable {
    let node: JinjaMacroNode
    let closure: JinjaScope
    /// The `caller` of a call block, passed to the called macro.
    let caller: JinjaValue?

    init(node: JinjaMacroNode, closure: JinjaScope, caller: JinjaValue? = nil) {
        self.node = node
        self.closure = closure
        self.caller = caller
    }
}

/// Jinja2's `LoopContext`.
final class JinjaLoop: @unchecked Sendable {
    let items: [JinjaValue]
    var index0 = 0
    /// The last value passed to `loop.changed(...)`.
    var lastChanged: JinjaValue?

    init(items: [JinjaValue]) { self.items = items }

    func attribute(_ name: String) -> JinjaValue? {
        let n = items.count
        switch name {
        case "index": return .int(index0 + 1)
        case "index0": return .int(index0)
        case "revindex": return .int(n - index0)
        case "revindex0": return .int(n - index0 - 1)
        case "first": return .bool(index0 == 0)
        case "last": return .bool(index0 == n - 1)
        case "length": return .int(n)
        case "depth": return .int(1)
        case "depth0": return .int(0)
        case "previtem": return index0 > 0 ? items[index0 - 1] : .undefined
        case "nextitem": return index0 + 1 < n ? items[index0 + 1] : .undefined
        default: return nil
        }
    }
}

final class JinjaIterator: @unchecked Sendable {
    /// Python's type name, for `repr` and errors (`generator`, `list_reverseiterator`).
    let kind: String
    private var remaining: [JinjaValue]

    init(kind: String, items: [JinjaValue]) {
        self.kind = kind
        self.remaining = items
    }

    /// Takes the items not consumed yet; a second pass over an iterator sees nothing, as in Python.
    func consume() -> [JinjaValue] {
        defer { remaining = [] }
        return remaining
    }
}

final class JinjaBoundMethod: @unchecked Sendable {
    let receiver: JinjaValue
    let name: String
    init(receiver: JinjaValue, name: String) {
        self.receiver = receiver
        self.name = name
    }
}

/// The global functions of transformers' chat-template environment.
enum JinjaBuiltin: String, Sendable {
    case range, dict, namespace, lipsum, cycler, joiner
    case raiseException = "raise_exception"
    case strftimeNow = "strftime_now"
}

/// A variable scope: the template's top level, one iteration of a loop, a macro call, a block body.
final class JinjaScope: @unchecked Sendable {
    private var variables: [String: JinjaValue] = [:]
    let parent: JinjaScope?

    init(parent: JinjaScope?, variables: [String: JinjaValue] = [:]) {
        self.parent = parent
        self.variables = variables
    }

    func lookup(_ name: String) -> JinjaValue? {
        var scope: JinjaScope? = self
        while let s = scope {
            if let v = s.variables[name] { return v }
            scope = s.parent
        }
        return nil
    }

    func set(_ name: String, _ value: JinjaValue) { variables[name] = value }
}

extension JinjaValue {
    static func markup(_ text: String) -> JinjaValue { .opaque(JinjaOpaque(.markup(text))) }

    /// The text of a `Markup` value.
    var markupText: String? {
        if case .opaque(let o) = self, case .markup(let s) = o.storage { return s }
        return nil
    }

    /// A `Markup` value as the plain string it behaves like everywhere but in `+`, `%` and a few filters.
    var plain: JinjaValue { markupText.map { .string($0) } ?? self }

    static func iterator(_ kind: String, _ items: [JinjaValue]) -> JinjaValue {
        .opaque(JinjaOpaque(.iterator(JinjaIterator(kind: kind, items: items))))
    }
}

// The syntax tree the parser builds and the evaluator walks. It mirrors the nodes of Jinja2's `jinja2.nodes`
// that chat templates use; every node carries the line it started on, for error messages.

/// An expression with the line it starts on.
struct JinjaExpression: Sendable {
    var kind: Kind
    var line: Int
    /// The height of the tree below this node (1 for a leaf); the parser bounds it so evaluation cannot
    /// exhaust the stack on `a + a + a + …`.
    var depth: Int

    init(_ kind: Kind, line: Int) {
        self.kind = kind
        self.line = line
        self.depth = 1 + kind.childDepth
    }

    indirect enum Kind: Sendable {
        case literal(JinjaValue)
        case name(String)
        case list([JinjaExpression])
        case tuple([JinjaExpression])
        case dict([(key: JinjaExpression, value: JinjaExpression)])
        /// `a.b`: Python attribute first, then item (Jinja2's `getattr`).
        case attribute(JinjaExpression, String)
        /// `a[b]`: item first, then attribute (Jinja2's `getitem`).
        case item(JinjaExpression, JinjaExpression)
        /// `a[start:stop:step]`.
        case slice(JinjaExpression, start: JinjaExpression?, stop: JinjaExpression?, step: JinjaExpression?)
        case call(JinjaExpression, JinjaCallArguments)
        /// `value | name(arguments)`; `value` is nil inside `{% filter %}` and `{% set x | f %}` blocks.
        case filter(JinjaExpression?, name: String, JinjaCallArguments)
        /// `value is name(arguments)`.
        case test(JinjaExpression, name: String, JinjaCallArguments)
        case unary(JinjaUnaryOperator, JinjaExpression)
        case binary(JinjaBinaryOperator, JinjaExpression, JinjaExpression)
        /// `a < b <= c`: chained comparisons, as in Python.
        case compare(JinjaExpression, [(op: JinjaCompareOperator, operand: JinjaExpression)])
        case and(JinjaExpression, JinjaExpression)
        case or(JinjaExpression, JinjaExpression)
        case not(JinjaExpression)
        /// `a ~ b ~ c`.
        case concat([JinjaExpression])
        /// `value if test else otherwise` (`otherwise` nil: undefined).
        case conditional(test: JinjaExpression, value: JinjaExpression, otherwise: JinjaExpression?)
    }
}

extension JinjaExpression.Kind {
    var childDepth: Int {
        func d(_ e: JinjaExpression?) -> Int { e?.depth ?? 0 }
        func d(_ es: [JinjaExpression]) -> Int { es.map(\.depth).max() ?? 0 }
        switch self {
        case .literal, .name: return 0
        case .list(let items), .tuple(let items), .concat(let items): return d(items)
        case .dict(let pairs): return pairs.map { max($0.key.depth, $0.value.depth) }.max() ?? 0
        case .attribute(let base, _): return base.depth
        case .item(let base, let key): return max(base.depth, key.depth)
        case .slice(let base, let a, let b, let c): return max(base.depth, d(a), d(b), d(c))
        case .call(let callee, let args): return max(callee.depth, args.depth)
        case .filter(let value, _, let args): return max(d(value), args.depth)
        case .test(let value, _, let args): return max(value.depth, args.depth)
        case .unary(_, let x), .not(let x): return x.depth
        case .binary(_, let a, let b), .and(let a, let b), .or(let a, let b): return max(a.depth, b.depth)
        case .compare(let first, let rest): return max(first.depth, d(rest.map(\.operand)))
        case .conditional(let test, let value, let otherwise): return max(test.depth, value.depth, d(otherwise))
        }
    }
}

/// Arguments of a call, filter or test.
struct JinjaCallArguments: Sendable {
    var positional: [JinjaExpression] = []
    var keywords: [(name: String, value: JinjaExpression)] = []
    /// `*args`.
    var star: JinjaExpression?
    /// `**kwargs`.
    var doubleStar: JinjaExpression?

    static let none = JinjaCallArguments()

    var depth: Int {
        let all = positional + keywords.map(\.value) + [star, doubleStar].compactMap { $0 }
        return all.map(\.depth).max() ?? 0
    }
}

enum JinjaUnaryOperator: Sendable { case negate, plus }

enum JinjaBinaryOperator: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//", modulo = "%", power = "**"
}

enum JinjaCompareOperator: String, Sendable {
    case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case contains = "in", notContains = "not in"
}

/// The left side of `{% set %}` or the variables of `{% for %}`.
indirect enum JinjaTarget: Sendable {
    case name(String)
    case tuple([JinjaTarget])
    /// `ns.attribute` (only in `{% set %}`).
    case namespaceAttribute(String, String)
}

/// A macro's (or a call block's) parameter with its default.
struct JinjaParameter: Sendable {
    var name: String
    var defaultValue: JinjaExpression?
}

/// A statement with the line its tag starts on.
struct JinjaStatement: Sendable {
    var kind: Kind
    var line: Int

    init(_ kind: Kind, line: Int) {
        self.kind = kind
        self.line = line
    }

    indirect enum Kind: Sendable {
        /// Template text outside tags.
        case text(String)
        /// `{{ expression }}`.
        case output(JinjaExpression)
        /// `{% if %}…{% elif %}…{% else %}…{% endif %}`.
        case conditional(branches: [(test: JinjaExpression, body: [JinjaStatement])], otherwise: [JinjaStatement])
        /// `{% for target in iterable if filter %}body{% else %}otherwise{% endfor %}`.
        case loop(JinjaLoopNode)
        /// `{% set target = value %}`.
        case assign(JinjaTarget, JinjaExpression)
        /// `{% set target | filters %}body{% endset %}`.
        case assignBlock(JinjaTarget, filter: JinjaExpression?, body: [JinjaStatement])
        /// `{% macro name(parameters) %}body{% endmacro %}`.
        case macro(JinjaMacroNode)
        /// `{% call(parameters) callee(...) %}body{% endcall %}`.
        case callBlock(call: JinjaExpression, caller: JinjaMacroNode)
        /// `{% filter name(args) | … %}body{% endfilter %}`.
        case filterBlock(JinjaExpression, body: [JinjaStatement])
        /// `{% generation %}body{% endgeneration %}` (transformers' AssistantTracker).
        case generation([JinjaStatement])
        /// `{% with a = 1 %}body{% endwith %}`.
        case with([(target: JinjaTarget, value: JinjaExpression)], body: [JinjaStatement])
        case breakLoop
        case continueLoop
    }
}

/// The parts of a `{% for %}` tag.
struct JinjaLoopNode: Sendable {
    var target: JinjaTarget
    var iterable: JinjaExpression
    var filter: JinjaExpression?
    var body: [JinjaStatement]
    var otherwise: [JinjaStatement]
}

/// The parts of a `{% macro %}` tag (also the `caller` of a call block).
struct JinjaMacroNode: Sendable {
    var name: String
    var parameters: [JinjaParameter]
    var body: [JinjaStatement]
    var line: Int
    /// Whether the body mentions `varargs` / `kwargs`: only then does Jinja2 accept extra positional or
    /// keyword arguments.
    var usesVarargs = false
    var usesKwargs = false
}

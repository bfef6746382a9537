// Runs the syntax tree: statements, scopes, output and the tracking behind `renderTracked`. Expressions are in
// JinjaEvaluator+Expressions.swift, calls and macros in JinjaEvaluator+Calls.swift.
//
// Scoping follows what Jinja2's compiler produces: `{% if %}` shares its scope; each iteration of a
// `{% for %}`, each macro call, each `{% set %}…{% endset %}`, `{% filter %}`, `{% with %}` and
// `{% generation %}` body gets a fresh scope whose assignments vanish when it ends (so a `set` in a loop does
// not survive to the next iteration, and templates use `namespace()` to carry state out of loops).

import Foundation

/// One iteration of a `{% for %}` over tagged objects: the object's ``JinjaObject/origin`` and the UTF-8
/// byte range of the output the iteration's body wrote.
public struct JinjaIteration: Sendable, Equatable {
    /// The ``JinjaObject/origin`` of the loop's current item.
    public var origin: Int
    /// The UTF-8 byte range of ``JinjaRendering/text`` that the iteration wrote.
    public var range: Range<Int>

    /// Creates an iteration record.
    public init(origin: Int, range: Range<Int>) {
        self.origin = origin
        self.range = range
    }
}

/// Walks a parsed template. One evaluator renders once.
final class JinjaEvaluator {
    enum Flow { case normal, breakLoop, continueLoop }

    let templateName: String
    let limits: JinjaLimits
    let tracking: Bool
    /// The clock behind `strftime_now` (the local time when rendering).
    let now: () -> Date
    /// The output being written: the top-level text, or a capture (macro call, `{% set %}` block, filter block).
    private(set) var output = ""
    /// How many captures are open; tracking only records writes at level 0.
    private var captureDepth = 0
    /// Loop iterations over tagged objects, in the order they began; `nil` where the body wrote nothing.
    private var iterationSlots: [JinjaIteration?] = []
    private(set) var generationRanges: [Range<Int>] = []
    private var loopIterations = 0
    var callDepth = 0

    init(templateName: String, limits: JinjaLimits, tracking: Bool, now: @escaping () -> Date = Date.init) {
        self.templateName = templateName
        self.limits = limits
        self.tracking = tracking
        self.now = now
    }

    var iterations: [JinjaIteration] { iterationSlots.compactMap { $0 } }

    /// Fills in the template name and line of an error raised below the evaluator.
    func located(_ error: JinjaError, line: Int) -> JinjaError {
        var e = error
        if e.line == 0 { e.line = line }
        if e.template.isEmpty { e.template = templateName }
        return e
    }

    func error(_ kind: JinjaError.Kind, _ message: String, line: Int = 0) -> JinjaError {
        JinjaError(kind: kind, template: templateName, line: line, message: message)
    }

    // MARK: - Output

    func write(_ text: String) throws {
        output += text
        if output.utf8.count > limits.maxOutputBytes {
            throw error(.limit, "output exceeds \(limits.maxOutputBytes) bytes")
        }
    }

    /// Runs `body` with output going to a fresh buffer, and returns what it wrote.
    func capture(_ body: () throws -> Void) throws -> String {
        let saved = output
        output = ""
        captureDepth += 1
        defer { captureDepth -= 1 }
        do {
            try body()
        } catch {
            output = saved
            throw error
        }
        let captured = output
        output = saved
        return captured
    }

    // MARK: - Statements

    func execute(_ statements: [JinjaStatement], in scope: JinjaScope) throws -> Flow {
        for statement in statements {
            let flow = try execute(statement, in: scope)
            if flow != .normal { return flow }
        }
        return .normal
    }

    func execute(_ statement: JinjaStatement, in scope: JinjaScope) throws -> Flow {
        do {
            return try executeUnlocated(statement, in: scope)
        } catch let e as JinjaError where e.line == 0 || e.template.isEmpty {
            throw located(e, line: statement.line)
        }
    }

    private func executeUnlocated(_ statement: JinjaStatement, in scope: JinjaScope) throws -> Flow {
        switch statement.kind {
        case .text(let text):
            try write(text)
        case .output(let expression):
            try write(try evaluate(expression, in: scope).pythonString())
        case .conditional(let branches, let otherwise):
            for branch in branches where try evaluate(branch.test, in: scope).isTruthy {
                return try execute(branch.body, in: scope)
            }
            return try execute(otherwise, in: scope)
        case .loop(let node):
            try runLoop(node, in: scope)
        case .assign(let target, let expression):
            try assign(target, try evaluate(expression, in: scope), in: scope, line: statement.line)
        case .assignBlock(let target, let filter, let body):
            let text = try capture { _ = try execute(body, in: JinjaScope(parent: scope)) }
            var value = JinjaValue.string(text)
            if let filter { value = try applyFilterChain(filter, to: value, in: scope) }
            try assign(target, value, in: scope, line: statement.line)
        case .macro(let node):
            scope.set(node.name, .opaque(JinjaOpaque(.macro(JinjaMacro(node: node, closure: scope)))))
        case .callBlock(let call, let callerNode):
            let caller = JinjaValue.opaque(JinjaOpaque(.macro(JinjaMacro(node: callerNode, closure: scope))))
            guard case .call(let callee, let arguments) = call.kind else { return .normal }
            let result = try evaluateCall(callee, arguments, in: scope, line: call.line, caller: caller)
            try write(try result.pythonString())
        case .filterBlock(let filter, let body):
            let text = try capture { _ = try execute(body, in: JinjaScope(parent: scope)) }
            try write(try applyFilterChain(filter, to: .string(text), in: scope).pythonString())
        case .generation(let body):
            let start = output.utf8.count
            _ = try execute(body, in: JinjaScope(parent: scope))
            let end = output.utf8.count
            if tracking, captureDepth == 0, end > start { generationRanges.append(start..<end) }
        case .with(let assignments, let body):
            let inner = JinjaScope(parent: scope)
            for (target, value) in assignments {
                try assign(target, try evaluate(value, in: scope), in: inner, line: statement.line)
            }
            return try execute(body, in: inner)
        case .breakLoop:
            return .breakLoop
        case .continueLoop:
            return .continueLoop
        }
        return .normal
    }

    private func runLoop(_ node: JinjaLoopNode, in scope: JinjaScope) throws {
        var items = try iterate(try evaluate(node.iterable, in: scope))
        if let filter = node.filter {
            items = try items.filter { item in
                let testScope = JinjaScope(parent: scope)
                try assign(node.target, item, in: testScope, line: filter.line)
                return try evaluate(filter, in: testScope).isTruthy
            }
        }
        // Jinja2 runs the `else` block unless some iteration reached the end of its body (`break` and
        // `continue` skip the flag it clears there).
        var completedIteration = false
        let loop = JinjaLoop(items: items)
        let loopValue = JinjaValue.opaque(JinjaOpaque(.loop(loop)))
        for (i, item) in items.enumerated() {
            loopIterations += 1
            if loopIterations > limits.maxLoopIterations {
                throw error(.limit, "more than \(limits.maxLoopIterations) loop iterations")
            }
            loop.index0 = i
            let iterationScope = JinjaScope(parent: scope)
            try assign(node.target, item, in: iterationScope, line: node.iterable.line)
            iterationScope.set("loop", loopValue)
            var slot: Int?
            var origin = 0
            if tracking, captureDepth == 0, case .object(let object) = item, let o = object.origin {
                slot = iterationSlots.count
                origin = o
                iterationSlots.append(nil)
            }
            let start = output.utf8.count
            let flow = try execute(node.body, in: iterationScope)
            if let slot, output.utf8.count > start {
                iterationSlots[slot] = JinjaIteration(origin: origin, range: start..<output.utf8.count)
            }
            if flow == .normal { completedIteration = true }
            if flow == .breakLoop { break }
        }
        if !completedIteration { _ = try execute(node.otherwise, in: JinjaScope(parent: scope)) }
    }

    /// `{% set %}` and loop variables: names, tuples (unpacked like Python) and namespace attributes.
    func assign(_ target: JinjaTarget, _ value: JinjaValue, in scope: JinjaScope, line: Int) throws {
        switch target {
        case .name(let name):
            scope.set(name, value)
        case .tuple(let targets):
            let items: [JinjaValue]
            do {
                items = try iterate(value)
            } catch {
                throw self.error(.type, "cannot unpack non-iterable \(value.typeName) object", line: line)
            }
            guard items.count == targets.count else {
                let problem = items.count > targets.count ? "too many values to unpack (expected \(targets.count))"
                    : "not enough values to unpack (expected \(targets.count), got \(items.count))"
                throw error(.type, problem, line: line)
            }
            for (t, v) in zip(targets, items) { try assign(t, v, in: scope, line: line) }
        case .namespaceAttribute(let name, let attribute):
            guard case .opaque(let o)? = scope.lookup(name), case .namespace(let ns) = o.storage else {
                throw error(.type, "cannot assign attribute on non-namespace object", line: line)
            }
            if attribute.hasPrefix("_") {
                throw error(.type, "Chat templates cannot store underscore-prefixed attributes on a namespace, but got '\(attribute)'.", line: line)
            }
            ns.attributes[attribute] = value
        }
    }

    // MARK: - Python protocols

    /// Python's `iter(x)` drained into an array.
    func iterate(_ value: JinjaValue) throws -> [JinjaValue] {
        switch value.plain {
        case .array(let items): return items
        case .string(let s): return s.unicodeScalars.map { .string(String($0)) }
        case .object(let o): return o.keyList
        case .undefined: return []
        case .opaque(let o):
            if case .iterator(let it) = o.storage { return it.consume() }
            throw JinjaError.type("'\(value.typeName)' object is not iterable")
        default:
            throw JinjaError.type("'\(value.typeName)' object is not iterable")
        }
    }

    /// Python's `len(x)` (Undefined has length 0).
    func length(_ value: JinjaValue) throws -> Int {
        switch value.plain {
        case .string(let s): return s.unicodeScalars.count
        case .array(let a): return a.count
        case .object(let o): return o.count
        case .undefined: return 0
        default: throw JinjaError.type("object of type '\(value.typeName)' has no len()")
        }
    }

    /// Checks a string the template builds against the output limit before it is built.
    func checkSize(_ bytes: Int) throws {
        if bytes > limits.maxOutputBytes || bytes < 0 {
            throw error(.limit, "a string or list of more than \(limits.maxOutputBytes) bytes")
        }
    }
}

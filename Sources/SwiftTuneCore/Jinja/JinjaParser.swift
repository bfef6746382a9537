// Statements: a port of the statement half of Jinja2's `jinja2.parser.Parser` (`subparse`, `parse_for`,
// `parse_if`, `parse_set`, `parse_macro`, …) plus the `generation` tag of transformers' AssistantTracker and
// `break` / `continue` of `jinja2.ext.loopcontrols`. Expressions are in JinjaParser+Expressions.swift.

/// Builds the syntax tree from the lexer's tokens.
struct JinjaParser {
    let tokens: [JinjaToken]
    let templateName: String
    let maxDepth: Int
    var index = 0
    /// Nesting of the recursive-descent functions and of block tags (bounded by ``JinjaLimits/maxDepth``).
    var depth = 0
    /// Inside an `if` or an inline `if` of the current frame: Jinja2 then reports unknown filters and tests
    /// only when they run, not when the template compiles.
    var soft = false
    /// `{% for %}` loops open in the current function (macro bodies start again at 0), for `break`/`continue`.
    var openLoops = 0
    /// Block tags being parsed, innermost last (for error messages).
    var tagStack: [String] = []
    /// Variable names referenced since the innermost macro body began (for `varargs` / `kwargs`).
    var referencedNames: Set<String> = []

    init(tokens: [JinjaToken], templateName: String, maxDepth: Int) {
        self.tokens = tokens
        self.templateName = templateName
        self.maxDepth = maxDepth
    }

    // MARK: - Token stream

    var current: JinjaToken { tokens[index] }
    var next: JinjaToken { tokens[min(index + 1, tokens.count - 1)] }

    mutating func advance() {
        if index < tokens.count - 1 { index += 1 }
    }

    func fail(_ message: String, line: Int? = nil) -> JinjaError {
        JinjaError(kind: .syntax, template: templateName, line: line ?? current.line, message: message)
    }

    func isName(_ name: String) -> Bool {
        if case .name(let n) = current.kind { return n == name }
        return false
    }

    func isOp(_ op: String) -> Bool {
        if case .op(let o) = current.kind { return o == op }
        return false
    }

    mutating func skipName(_ name: String) -> Bool {
        guard isName(name) else { return false }
        advance()
        return true
    }

    mutating func skipOp(_ op: String) -> Bool {
        guard isOp(op) else { return false }
        advance()
        return true
    }

    mutating func expectOp(_ op: String) throws {
        guard skipOp(op) else { throw fail("expected '\(op)', got \(describe(current))") }
    }

    mutating func expectName() throws -> String {
        guard case .name(let n) = current.kind else { throw fail("expected name, got \(describe(current))") }
        advance()
        return n
    }

    mutating func expectName(_ name: String) throws {
        guard skipName(name) else { throw fail("expected '\(name)', got \(describe(current))") }
    }

    mutating func expectBlockEnd() throws {
        guard current.kind == .blockEnd else { throw fail("expected end of statement block, got \(describe(current))") }
        advance()
    }

    func describe(_ token: JinjaToken) -> String {
        switch token.kind {
        case .text: return "template data"
        case .variableBegin: return "begin of print statement"
        case .variableEnd: return "end of print statement"
        case .blockBegin: return "begin of statement block"
        case .blockEnd: return "end of statement block"
        case .name(let n): return "'\(n)'"
        case .string: return "string"
        case .integer: return "integer"
        case .float: return "float"
        case .op(let o): return "'\(o)'"
        case .eof: return "end of template"
        }
    }

    /// Counts one level of recursion; throws past ``JinjaLimits/maxDepth`` (instead of exhausting the stack).
    mutating func enter() throws {
        depth += 1
        if depth > maxDepth {
            throw JinjaError(kind: .limit, template: templateName, line: current.line,
                             message: "template nesting deeper than \(maxDepth) levels")
        }
    }

    // MARK: - Template and bodies

    /// Parses the whole template.
    mutating func parseTemplate() throws -> [JinjaStatement] {
        let body = try subparse(endTokens: [])
        guard current.kind == .eof else { throw fail("unexpected \(describe(current))") }
        return body
    }

    /// Jinja2's `subparse`: statements until one of `endTokens` (a tag name) or the end of the template.
    mutating func subparse(endTokens: [String]) throws -> [JinjaStatement] {
        try enter()
        defer { depth -= 1 }
        var body: [JinjaStatement] = []
        while true {
            let token = current
            switch token.kind {
            case .text(let text):
                body.append(JinjaStatement(.text(text), line: token.line))
                advance()
            case .variableBegin:
                advance()
                let expression = try parseTuple(withConditional: true)
                guard current.kind == .variableEnd else {
                    throw fail("expected end of print statement, got \(describe(current))")
                }
                advance()
                body.append(JinjaStatement(.output(expression), line: token.line))
            case .blockBegin:
                advance()
                if case .name(let n) = current.kind, endTokens.contains(n) { return body }
                let statements = try parseStatement()
                body.append(contentsOf: statements)
                try expectBlockEnd()
            case .eof:
                return body
            default:
                throw fail("unexpected \(describe(token))")
            }
        }
    }

    /// Jinja2's `parse_statements`: `%}`, a body, and the end tag (consumed when `dropNeedle`).
    mutating func parseBody(endTokens: [String], dropNeedle: Bool) throws -> [JinjaStatement] {
        _ = skipOp(":")
        try expectBlockEnd()
        let body = try subparse(endTokens: endTokens)
        if current.kind == .eof {
            var message = "Unexpected end of template. Jinja was looking for the following tags: "
                + endTokens.map { "'\($0)'" }.joined(separator: " or ") + "."
            if let open = tagStack.last { message += " The innermost block that needs to be closed is '\(open)'." }
            throw fail(message)
        }
        if dropNeedle { advance() }
        return body
    }

    /// One tag (the current token is its name).
    mutating func parseStatement() throws -> [JinjaStatement] {
        guard case .name(let tag) = current.kind else { throw fail("tag name expected") }
        let line = current.line
        tagStack.append(tag)
        defer { tagStack.removeLast() }
        switch tag {
        case "for": return [try parseFor()]
        case "if": return [try parseIf()]
        case "set": return [try parseSet()]
        case "macro": return [try parseMacro()]
        case "call": return [try parseCallBlock()]
        case "filter": return [try parseFilterBlock()]
        case "with": return [try parseWith()]
        case "print":
            advance()
            var outputs: [JinjaStatement] = []
            while current.kind != .blockEnd {
                if !outputs.isEmpty { try expectOp(",") }
                outputs.append(JinjaStatement(.output(try parseExpression()), line: line))
            }
            return outputs
        case "generation":
            advance()
            let (body, _) = try parseFunctionBody(endTag: "endgeneration")
            return [JinjaStatement(.generation(body), line: line)]
        case "break", "continue":
            advance()
            guard openLoops > 0 else { throw fail("'\(tag)' outside loop", line: line) }
            return [JinjaStatement(tag == "break" ? .breakLoop : .continueLoop, line: line)]
        case "block", "extends", "include", "import", "from", "autoescape":
            throw fail("the '\(tag)' tag is not supported (SwiftTune renders single, self-contained templates)")
        default:
            var message = "Encountered unknown tag '\(tag)'."
            if let open = tagStack.dropLast().last { message += " The innermost block that needs to be closed is '\(open)'." }
            throw fail(message, line: line)
        }
    }

    // MARK: - Tags

    mutating func parseFor() throws -> JinjaStatement {
        let line = current.line
        advance()
        let target = try parseAssignTarget(extraEndNames: ["in"])
        try expectName("in")
        let iterable = try parseTuple(withConditional: false, extraEndNames: ["recursive"])
        var filter: JinjaExpression?
        if skipName("if") {
            let wasSoft = soft
            soft = false
            filter = try parseExpression()
            soft = wasSoft
        }
        if isName("recursive") { throw fail("recursive loops are not supported") }
        let wasSoft = soft
        soft = false
        openLoops += 1
        let body = try parseBody(endTokens: ["endfor", "else"], dropNeedle: false)
        openLoops -= 1
        var otherwise: [JinjaStatement] = []
        if skipName("else") {
            otherwise = try parseBody(endTokens: ["endfor"], dropNeedle: true)
        } else {
            advance()
        }
        soft = wasSoft
        return JinjaStatement(.loop(JinjaLoopNode(target: target, iterable: iterable, filter: filter, body: body,
                                                  otherwise: otherwise)), line: line)
    }

    mutating func parseIf() throws -> JinjaStatement {
        let line = current.line
        advance()
        let wasSoft = soft
        soft = true
        defer { soft = wasSoft }
        var branches: [(test: JinjaExpression, body: [JinjaStatement])] = []
        var otherwise: [JinjaStatement] = []
        while true {
            let test = try parseTuple(withConditional: false)
            let body = try parseBody(endTokens: ["elif", "else", "endif"], dropNeedle: false)
            branches.append((test, body))
            if skipName("elif") { continue }
            if skipName("else") { otherwise = try parseBody(endTokens: ["endif"], dropNeedle: true) } else { advance() }
            break
        }
        return JinjaStatement(.conditional(branches: branches, otherwise: otherwise), line: line)
    }

    mutating func parseSet() throws -> JinjaStatement {
        let line = current.line
        advance()
        let target = try parseAssignTarget(withNamespace: true)
        if skipOp("=") {
            return JinjaStatement(.assign(target, try parseTuple()), line: line)
        }
        let wasSoft = soft
        soft = false
        defer { soft = wasSoft }
        let filter = try parseFilter(nil)
        let body = try parseBody(endTokens: ["endset"], dropNeedle: true)
        return JinjaStatement(.assignBlock(target, filter: filter, body: body), line: line)
    }

    mutating func parseMacro() throws -> JinjaStatement {
        let line = current.line
        advance()
        let name = try expectName()
        let parameters = try parseSignature()
        let (body, names) = try parseFunctionBody(endTag: "endmacro")
        var node = JinjaMacroNode(name: name, parameters: parameters, body: body, line: line)
        node.usesVarargs = names.contains("varargs")
        node.usesKwargs = names.contains("kwargs")
        return JinjaStatement(.macro(node), line: line)
    }

    mutating func parseCallBlock() throws -> JinjaStatement {
        let line = current.line
        advance()
        let parameters = isOp("(") ? try parseSignature() : []
        let call = try parseExpression()
        guard case .call = call.kind else { throw fail("expected call", line: line) }
        let (body, names) = try parseFunctionBody(endTag: "endcall")
        var caller = JinjaMacroNode(name: "caller", parameters: parameters, body: body, line: line)
        caller.usesVarargs = names.contains("varargs")
        caller.usesKwargs = names.contains("kwargs")
        return JinjaStatement(.callBlock(call: call, caller: caller), line: line)
    }

    /// A macro, caller or generation body: its own frame, so loops and soft frames start afresh. Returns the
    /// names the body references.
    mutating func parseFunctionBody(endTag: String) throws -> ([JinjaStatement], Set<String>) {
        let (wasSoft, loops, names) = (soft, openLoops, referencedNames)
        soft = false
        openLoops = 0
        referencedNames = []
        defer { (soft, openLoops, referencedNames) = (wasSoft, loops, names.union(referencedNames)) }
        return (try parseBody(endTokens: [endTag], dropNeedle: true), referencedNames)
    }

    mutating func parseSignature() throws -> [JinjaParameter] {
        try expectOp("(")
        var parameters: [JinjaParameter] = []
        while !isOp(")") {
            if !parameters.isEmpty { try expectOp(",") }
            let name = try expectName()
            var defaultValue: JinjaExpression?
            if skipOp("=") {
                defaultValue = try parseExpression()
            } else if parameters.contains(where: { $0.defaultValue != nil }) {
                throw fail("non-default argument follows default argument")
            }
            parameters.append(JinjaParameter(name: name, defaultValue: defaultValue))
        }
        try expectOp(")")
        return parameters
    }

    mutating func parseFilterBlock() throws -> JinjaStatement {
        let line = current.line
        advance()
        let wasSoft = soft
        soft = false
        defer { soft = wasSoft }
        guard let filter = try parseFilter(nil, startInline: true) else { throw fail("expected filter name") }
        let body = try parseBody(endTokens: ["endfilter"], dropNeedle: true)
        return JinjaStatement(.filterBlock(filter, body: body), line: line)
    }

    mutating func parseWith() throws -> JinjaStatement {
        let line = current.line
        advance()
        var assignments: [(target: JinjaTarget, value: JinjaExpression)] = []
        while current.kind != .blockEnd {
            if !assignments.isEmpty { try expectOp(",") }
            let target = try parseAssignTarget()
            try expectOp("=")
            assignments.append((target, try parseExpression()))
        }
        let wasSoft = soft
        soft = false
        defer { soft = wasSoft }
        let body = try parseBody(endTokens: ["endwith"], dropNeedle: true)
        return JinjaStatement(.with(assignments, body: body), line: line)
    }

    /// Jinja2's `parse_assign_target`: a name, `ns.attr` (with `withNamespace`), or a tuple of names.
    mutating func parseAssignTarget(extraEndNames: [String] = [], withNamespace: Bool = false) throws -> JinjaTarget {
        var targets: [JinjaTarget] = []
        var isTuple = false
        while true {
            if !targets.isEmpty { try expectOp(",") }
            if isTupleEnd(extraEndNames: extraEndNames) { break }
            targets.append(try parseTargetPrimary(withNamespace: withNamespace))
            if isOp(",") { isTuple = true } else { break }
        }
        if !isTuple, let only = targets.first { return only }
        guard !targets.isEmpty else { throw fail("Expected an expression, got \(describe(current))") }
        for target in targets {
            if case .namespaceAttribute = target { throw fail("can't assign to 'tuple'") }
        }
        return .tuple(targets)
    }

    mutating func parseTargetPrimary(withNamespace: Bool) throws -> JinjaTarget {
        let token = current
        switch token.kind {
        case .name(let n):
            advance()
            if ["true", "false", "True", "False", "none", "None"].contains(n) { throw fail("can't assign to 'const'") }
            if withNamespace, skipOp(".") { return .namespaceAttribute(n, try expectName()) }
            return .name(n)
        case .op("("):
            advance()
            let inner = try parseAssignTarget(withNamespace: false)
            try expectOp(")")
            return inner
        default:
            throw fail("can't assign to \(describe(token))")
        }
    }

    func isTupleEnd(extraEndNames: [String] = []) -> Bool {
        switch current.kind {
        case .variableEnd, .blockEnd, .op(")"): return true
        case .name(let n): return extraEndNames.contains(n)
        default: return false
        }
    }
}

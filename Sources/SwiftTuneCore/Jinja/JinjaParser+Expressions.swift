// Expressions: a port of the expression half of Jinja2's parser, with its precedence (lowest first):
// inline `if`, `or`, `and`, `not`, comparisons and `in`, `+ -`, `~`, `* / // %`, `**` (left-associative, as
// in Jinja, unlike Python), unary `- +`, then primaries with `.attr`, `[item]`, `(call)`, `| filter`, `is test`.
// Filters bind tighter than any operator but apply after unary minus: `-x|abs` is `abs(-x)`.

extension JinjaParser {
    /// Builds a node and bounds the height of the tree.
    func make(_ kind: JinjaExpression.Kind, line: Int) throws -> JinjaExpression {
        let node = JinjaExpression(kind, line: line)
        if node.depth > maxDepth {
            throw JinjaError(kind: .limit, template: templateName, line: line,
                             message: "expression nested deeper than \(maxDepth) levels")
        }
        return node
    }

    mutating func parseExpression(withConditional: Bool = true) throws -> JinjaExpression {
        try enter()
        defer { depth -= 1 }
        return withConditional ? try parseConditional() : try parseOr()
    }

    mutating func parseConditional() throws -> JinjaExpression {
        var line = current.line
        var value = try parseOr()
        while skipName("if") {
            let wasSoft = soft
            soft = true
            defer { soft = wasSoft }
            let test = try parseOr()
            var otherwise: JinjaExpression?
            if skipName("else") { otherwise = try parseConditional() }
            value = try make(.conditional(test: test, value: value, otherwise: otherwise), line: line)
            line = current.line
        }
        return value
    }

    mutating func parseOr() throws -> JinjaExpression {
        var line = current.line
        var left = try parseAnd()
        while skipName("or") {
            left = try make(.or(left, try parseAnd()), line: line)
            line = current.line
        }
        return left
    }

    mutating func parseAnd() throws -> JinjaExpression {
        var line = current.line
        var left = try parseNot()
        while skipName("and") {
            left = try make(.and(left, try parseNot()), line: line)
            line = current.line
        }
        return left
    }

    mutating func parseNot() throws -> JinjaExpression {
        if isName("not") {
            let line = current.line
            advance()
            try enter()
            defer { depth -= 1 }
            return try make(.not(try parseNot()), line: line)
        }
        return try parseCompare()
    }

    mutating func parseCompare() throws -> JinjaExpression {
        var line = current.line
        let first = try parseMath1()
        var rest: [(op: JinjaCompareOperator, operand: JinjaExpression)] = []
        while true {
            if case .op(let o) = current.kind, let op = JinjaCompareOperator(rawValue: o), op != .contains {
                advance()
                rest.append((op, try parseMath1()))
            } else if skipName("in") {
                rest.append((.contains, try parseMath1()))
            } else if isName("not"), case .name("in") = next.kind {
                advance()
                advance()
                rest.append((.notContains, try parseMath1()))
            } else {
                break
            }
            line = current.line
        }
        return rest.isEmpty ? first : try make(.compare(first, rest), line: line)
    }

    mutating func parseMath1() throws -> JinjaExpression {
        var line = current.line
        var left = try parseConcat()
        while case .op(let o) = current.kind, o == "+" || o == "-" {
            advance()
            left = try make(.binary(o == "+" ? .add : .subtract, left, try parseConcat()), line: line)
            line = current.line
        }
        return left
    }

    mutating func parseConcat() throws -> JinjaExpression {
        let line = current.line
        var parts = [try parseMath2()]
        while skipOp("~") { parts.append(try parseMath2()) }
        return parts.count == 1 ? parts[0] : try make(.concat(parts), line: line)
    }

    mutating func parseMath2() throws -> JinjaExpression {
        var line = current.line
        var left = try parsePow()
        while case .op(let o) = current.kind, let op = JinjaBinaryOperator(rawValue: o),
              op == .multiply || op == .divide || op == .floorDivide || op == .modulo {
            advance()
            left = try make(.binary(op, left, try parsePow()), line: line)
            line = current.line
        }
        return left
    }

    mutating func parsePow() throws -> JinjaExpression {
        var line = current.line
        var left = try parseUnary()
        while skipOp("**") {
            left = try make(.binary(.power, left, try parseUnary()), line: line)
            line = current.line
        }
        return left
    }

    mutating func parseUnary(withFilter: Bool = true) throws -> JinjaExpression {
        let line = current.line
        var node: JinjaExpression
        if isOp("-") || isOp("+") {
            let op: JinjaUnaryOperator = isOp("-") ? .negate : .plus
            advance()
            try enter()
            defer { depth -= 1 }
            node = try make(.unary(op, try parseUnary(withFilter: false)), line: line)
        } else {
            node = try parsePrimary()
        }
        node = try parsePostfix(node)
        if withFilter { node = try parseFilterExpression(node) }
        return node
    }

    mutating func parsePrimary() throws -> JinjaExpression {
        let token = current
        switch token.kind {
        case .name(let n):
            advance()
            switch n {
            case "true", "True": return try make(.literal(.bool(true)), line: token.line)
            case "false", "False": return try make(.literal(.bool(false)), line: token.line)
            case "none", "None": return try make(.literal(.none), line: token.line)
            default:
                referencedNames.insert(n)
                return try make(.name(n), line: token.line)
            }
        case .string(var s):
            advance()
            while case .string(let more) = current.kind {
                s += more
                advance()
            }
            return try make(.literal(.string(s)), line: token.line)
        case .integer(let i):
            advance()
            return try make(.literal(.int(i)), line: token.line)
        case .float(let d):
            advance()
            return try make(.literal(.double(d)), line: token.line)
        case .op("("):
            advance()
            let inner = try parseTuple(explicitParentheses: true)
            try expectOp(")")
            return inner
        case .op("["):
            return try parseList()
        case .op("{"):
            return try parseDict()
        default:
            throw fail("unexpected \(describe(token))", line: token.line)
        }
    }

    /// Jinja2's `parse_tuple`: one expression, or a tuple when commas separate several.
    mutating func parseTuple(withConditional: Bool = true, extraEndNames: [String] = [],
                             explicitParentheses: Bool = false) throws -> JinjaExpression {
        var line = current.line
        var items: [JinjaExpression] = []
        var isTuple = false
        while true {
            if !items.isEmpty { try expectOp(",") }
            if isTupleEnd(extraEndNames: extraEndNames) { break }
            items.append(try parseExpression(withConditional: withConditional))
            if isOp(",") { isTuple = true } else { break }
            line = current.line
        }
        if !isTuple {
            if let only = items.first { return only }
            if !explicitParentheses { throw fail("Expected an expression, got \(describe(current))") }
        }
        return try make(.tuple(items), line: line)
    }

    mutating func parseList() throws -> JinjaExpression {
        let line = current.line
        try expectOp("[")
        var items: [JinjaExpression] = []
        while !isOp("]") {
            if !items.isEmpty { try expectOp(",") }
            if isOp("]") { break }
            items.append(try parseExpression())
        }
        try expectOp("]")
        return try make(.list(items), line: line)
    }

    mutating func parseDict() throws -> JinjaExpression {
        let line = current.line
        try expectOp("{")
        var pairs: [(key: JinjaExpression, value: JinjaExpression)] = []
        while !isOp("}") {
            if !pairs.isEmpty { try expectOp(",") }
            if isOp("}") { break }
            let key = try parseExpression()
            try expectOp(":")
            pairs.append((key, try parseExpression()))
        }
        try expectOp("}")
        return try make(.dict(pairs), line: line)
    }

    mutating func parsePostfix(_ start: JinjaExpression) throws -> JinjaExpression {
        var node = start
        while true {
            if isOp(".") || isOp("[") {
                node = try parseSubscript(node)
            } else if isOp("(") {
                let line = current.line
                node = try make(.call(node, try parseCallArguments()), line: line)
            } else {
                return node
            }
        }
    }

    mutating func parseFilterExpression(_ start: JinjaExpression) throws -> JinjaExpression {
        var node = start
        while true {
            if isOp("|") {
                node = try parseFilter(node) ?? node
            } else if isName("is") {
                node = try parseTest(node)
            } else if isOp("(") {
                let line = current.line
                node = try make(.call(node, try parseCallArguments()), line: line)
            } else {
                return node
            }
        }
    }

    mutating func parseSubscript(_ base: JinjaExpression) throws -> JinjaExpression {
        let token = current
        advance()
        if token.kind == .op(".") {
            let attribute = current
            advance()
            switch attribute.kind {
            case .name(let n): return try make(.attribute(base, n), line: token.line)
            case .integer(let i):
                return try make(.item(base, try make(.literal(.int(i)), line: attribute.line)), line: token.line)
            default: throw fail("expected name or number", line: attribute.line)
            }
        }
        var arguments: [JinjaExpression] = []
        while !isOp("]") {
            if !arguments.isEmpty { try expectOp(",") }
            arguments.append(try parseSubscribed())
        }
        try expectOp("]")
        if arguments.count == 1, case .slice(_, let a, let b, let c) = arguments[0].kind {
            return try make(.slice(base, start: a, stop: b, step: c), line: token.line)
        }
        let key = arguments.count == 1 ? arguments[0] : try make(.tuple(arguments), line: token.line)
        return try make(.item(base, key), line: token.line)
    }

    /// One subscript: an expression or a `start:stop:step` slice (returned as a `.slice` over a placeholder).
    mutating func parseSubscribed() throws -> JinjaExpression {
        let line = current.line
        var start: JinjaExpression?
        if !skipOp(":") {
            let node = try parseExpression()
            guard skipOp(":") else { return node }
            start = node
        }
        var stop: JinjaExpression?
        if !isOp(":"), !isOp("]"), !isOp(",") { stop = try parseExpression() }
        var step: JinjaExpression?
        if skipOp(":"), !isOp("]"), !isOp(",") { step = try parseExpression() }
        return try make(.slice(try make(.literal(.none), line: line), start: start, stop: stop, step: step), line: line)
    }

    /// Jinja2's `parse_call_args`: positional, keyword, `*args` and `**kwargs` arguments in parentheses.
    mutating func parseCallArguments() throws -> JinjaCallArguments {
        let line = current.line
        try expectOp("(")
        var arguments = JinjaCallArguments()
        var requireComma = false
        func ensure(_ ok: Bool) throws {
            if !ok { throw fail("invalid syntax for function call expression", line: line) }
        }
        while !isOp(")") {
            if requireComma {
                try expectOp(",")
                if isOp(")") { break }
            }
            if skipOp("*") {
                try ensure(arguments.star == nil && arguments.doubleStar == nil)
                arguments.star = try parseExpression()
            } else if skipOp("**") {
                try ensure(arguments.doubleStar == nil)
                arguments.doubleStar = try parseExpression()
            } else if case .name(let key) = current.kind, next.kind == .op("=") {
                try ensure(arguments.doubleStar == nil)
                advance()
                advance()
                arguments.keywords.append((key, try parseExpression()))
            } else {
                try ensure(arguments.star == nil && arguments.doubleStar == nil && arguments.keywords.isEmpty)
                arguments.positional.append(try parseExpression())
            }
            requireComma = true
        }
        try expectOp(")")
        return arguments
    }

    /// `| name(args) | …`; with `startInline` the first filter has no pipe (`{% filter upper %}`).
    mutating func parseFilter(_ start: JinjaExpression?, startInline: Bool = false) throws -> JinjaExpression? {
        var node = start
        var inline = startInline
        while isOp("|") || inline {
            if !inline { advance() }
            inline = false
            let line = current.line
            var name = try expectName()
            while skipOp(".") { name += "." + (try expectName()) }
            if !soft, !JinjaFilters.known.contains(name) {
                throw JinjaError(kind: .unknownFilter, template: templateName, line: line,
                                 message: "No filter named '\(name)'.")
            }
            let arguments = isOp("(") ? try parseCallArguments() : .none
            node = try make(.filter(node, name: name, arguments), line: line)
        }
        return node
    }

    mutating func parseTest(_ value: JinjaExpression) throws -> JinjaExpression {
        let line = current.line
        advance()
        let negated = skipName("not")
        var name = try expectName()
        while skipOp(".") { name += "." + (try expectName()) }
        if !soft, !JinjaTests.known.contains(name) {
            throw JinjaError(kind: .unknownTest, template: templateName, line: line, message: "No test named '\(name)'.")
        }
        var arguments = JinjaCallArguments.none
        switch current.kind {
        case .op("("):
            arguments = try parseCallArguments()
        case .name("else"), .name("or"), .name("and"):
            break
        case .name("is"):
            throw fail("You cannot chain multiple tests with is")
        case .name, .string, .integer, .float, .op("["), .op("{"):
            arguments.positional = [try parsePostfix(try parsePrimary())]
        default:
            break
        }
        let test = try make(.test(value, name: name, arguments), line: line)
        return negated ? try make(.not(test), line: line) : test
    }
}

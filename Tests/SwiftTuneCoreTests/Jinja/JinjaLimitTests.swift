// Hostile templates must throw, never trap or exhaust the stack or memory: deep nesting in the parser,
// long operator chains, runaway recursion and loops, huge repetitions and integer overflow.

import Foundation
import Testing
@testable import SwiftTuneCore

@Suite("Jinja limits")
struct JinjaLimitTests {
    func expectLimit(_ source: String, options: JinjaOptions = .transformers, context: [String: JinjaValue] = [:],
                     sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try JinjaTemplate(source: source, options: options).render(context)
            Issue.record("expected a limit error", sourceLocation: sourceLocation)
        } catch let e as JinjaError {
            #expect(e.kind == .limit, "\(e)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("100k nested brackets, unary operators and blocks throw instead of overflowing the stack")
    func deepNesting() {
        expectLimit("{{ " + String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000) + " }}")
        expectLimit("{{ " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + " }}")
        expectLimit("{{ " + String(repeating: "not ", count: 100_000) + "1 }}")
        expectLimit("{{ " + String(repeating: "- ", count: 100_000) + "1 }}")
        expectLimit(String(repeating: "{% if true %}", count: 100_000))
        expectLimit("{{ " + Array(repeating: "1", count: 50_000).joined(separator: " + ") + " }}")
        expectLimit("{{ x" + String(repeating: "|trim", count: 50_000) + " }}")
        expectLimit("{{ x" + String(repeating: ".a", count: 50_000) + " }}")
    }

    @Test("nesting just under the limit still works")
    func moderateNesting() throws {
        let source = "{{ " + String(repeating: "(", count: 150) + "1" + String(repeating: ")", count: 150) + " }}"
        #expect(try JinjaTemplate(source: source).render([:]) == "1")
        let blocks = String(repeating: "{% if true %}", count: 60) + "x" + String(repeating: "{% endif %}", count: 60)
        #expect(try JinjaTemplate(source: blocks).render([:]) == "x")
        let macro = "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{% else %}done{% endif %}{% endmacro %}{{ f(150) }}"
        #expect(try JinjaTemplate(source: macro).render([:]) == "done")
    }

    @Test("runaway recursion, loops and output")
    func runaway() {
        expectLimit("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}")
        var small = JinjaOptions.transformers
        small.limits.maxLoopIterations = 1000
        expectLimit("{% for a in range(100) %}{% for b in range(100) %}{% endfor %}{% endfor %}", options: small)
        small.limits.maxOutputBytes = 1000
        expectLimit("{% for a in range(2000) %}x{% endfor %}", options: small)
        expectLimit("{% set s %}{% for a in range(2000) %}x{% endfor %}{% endset %}", options: small)
        expectLimit("{{ 'x' * 100000000000 }}")
        expectLimit("{{ [1, 2] * 100000000000 }}")
        expectLimit("{{ 'ab'.center(100000000000) }}")
        expectLimit("{{ range(100000000) | length }}")
        expectLimit("{% set ns = namespace(s='x') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}")
    }

    @Test("integer overflow throws instead of trapping")
    func overflow() {
        expectLimit("{{ 2 ** 100 }}")
        expectLimit("{{ 9223372036854775807 + 1 }}")
        expectLimit("{{ -9223372036854775807 - 2 }}")
        expectLimit("{{ 3037000500 * 3037000500 }}")
        expectLimit("{{ -(-9223372036854775807 - 1) }}")
        expectLimit("{{ (-9223372036854775807 - 1) // -1 }}")
        expectLimit("{{ (-9223372036854775807 - 1) | abs }}")
        expectLimit("{{ 10.0 ** 400 }}")
    }

    @Test("deeply nested values throw when printed, serialized or parsed from JSON")
    func deepValues() {
        let build = "{% set ns = namespace(x=[]) %}{% for i in range(5000) %}{% set ns.x = [ns.x] %}{% endfor %}"
        expectLimit(build + "{{ ns.x }}")
        expectLimit(build + "{{ ns.x | tojson }}")
        expectLimit(build + "{{ ns.x == ns.x }}")
        let json = Data((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8)
        #expect(throws: JinjaError.self) { try JinjaValue(jsonData: json) }
    }

    @Test("a huge integer literal is a syntax error")
    func hugeLiteral() {
        #expect(throws: JinjaError.self) { try JinjaTemplate(source: "{{ 99999999999999999999999 }}") }
    }
}

// Random templates built from Jinja fragments must parse and render or throw JinjaError: never trap (a trap
// would end the test process). Seeded, so a failure reproduces.

import Testing
@testable import SwiftTuneCore

@Suite("Jinja robustness")
struct JinjaRobustnessTests {
    static let fragments = [
        "{{", "}}", "{%", "%}", "{#", "#}", "{%-", "-%}", "{{-", "-}}", " if ", " for ", " in ", " endif ", " endfor ",
        " else ", " elif ", " set ", " = ", " macro ", " endmacro ", " raw ", " endraw ", "(", ")", "[", "]", "{", "}",
        ",", ":", ".", "|", " is ", " not ", " and ", " or ", "+", "-", "*", "/", "//", "%", "**", "~", "==", "<",
        "'a'", "\"b\\n\"", "0", "1", "-1", "9223372036854775807", "2.5", "1e308", "x", "xs", "d", "s", "n", "loop",
        "messages", "m", "length", "tojson", "trim", "upper", "join", "default", "items()", "split", "range(3)",
        "namespace(a=1)", "ns.a", "defined", "none", "true", "\n", "  ", "text", "é", "\u{1F600}", "[::-1]", "[1:]",
        "[-1]", "string", "mapping", "selectattr('role')", "map(attribute='x')", "raise_exception('r')", "break",
        "continue", "generation", "endgeneration", "filter", "endfilter", "call", "endcall", "caller()",
    ]

    @Test("random fragment soup never traps")
    func soup() {
        var rng = SystemRandomNumberGeneratorSeeded(seed: 42)
        var options = JinjaOptions.transformers
        options.limits = JinjaLimits(maxOutputBytes: 1 << 16, maxLoopIterations: 10_000, maxDepth: 50)
        let context: [String: JinjaValue] = [
            "x": 3, "xs": [1, "a", [2]], "d": ["k": "v", "n": .none], "s": "héllo", "n": .none,
            "messages": [["role": "user", "content": "hi"], ["role": "assistant", "content": "yo"]],
        ]
        var rendered = 0
        for _ in 0..<3000 {
            let count = Int(rng.next() % 24) + 1
            var source = ""
            for _ in 0..<count { source += JinjaRobustnessTests.fragments[Int(rng.next() % UInt64(JinjaRobustnessTests.fragments.count))] }
            do {
                _ = try JinjaTemplate(source: source, options: options).renderTracked(context)
                rendered += 1
            } catch is JinjaError {
            } catch {
                Issue.record("non-Jinja error for \(source.debugDescription): \(error)")
            }
        }
        #expect(rendered > 0)
    }

    @Test("well-formed random expressions never trap")
    func expressions() {
        var rng = SystemRandomNumberGeneratorSeeded(seed: 7)
        let atoms = ["0", "1", "-1", "7", "9223372036854775807", "2.5", "-0.0", "1e308", "'ab'", "''", "[1, 2]", "[]",
                     "{'a': 1}", "none", "true", "xs", "s", "d", "undefined_thing", "(1, 2)"]
        let binary = [" + ", " - ", " * ", " / ", " // ", " % ", " ** ", " ~ ", " == ", " < ", " >= ", " in ", " and ", " or "]
        let unary = ["-", "not ", ""]
        let postfix = ["", "|length", "|string", "|int", "|abs", "|round", "|list", "|first", "|tojson", "[0]", "[::-1]",
                       "[1:]", ".upper()", ".split()", "|join(',')", "|sort", "|sum", "|reverse|list", "|center(3)"]
        func term() -> String {
            unary[Int(rng.next() % 3)] + atoms[Int(rng.next() % UInt64(atoms.count))] + postfix[Int(rng.next() % UInt64(postfix.count))]
        }
        let context: [String: JinjaValue] = ["xs": [3, 1, 2], "s": "héllo", "d": ["b": 1, "a": 2]]
        for _ in 0..<3000 {
            var expression = term()
            for _ in 0..<Int(rng.next() % 4) { expression = "(" + expression + binary[Int(rng.next() % UInt64(binary.count))] + term() + ")" }
            do {
                _ = try JinjaTemplate(source: "{{ \(expression) }}").render(context)
            } catch is JinjaError {
            } catch {
                Issue.record("non-Jinja error for \(expression): \(error)")
            }
        }
    }
}

/// SplitMix64, for reproducible random templates.
struct SystemRandomNumberGeneratorSeeded: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

// renderTracked: which bytes of a rendered conversation each tagged message's loop iteration wrote, and the
// `{% generation %}` ranges. The ranges are checked against the text itself (the slice must be what the
// template printed for that message), so no expectation is written by hand from the implementation.

import Testing
@testable import SwiftTuneCore

@Suite("Jinja tracking")
struct JinjaTrackingTests {
    static let conversation: [(String, String)] = [
        ("system", "Be brief."), ("user", "Grüße ☕ — hi"), ("assistant", "Hello 𝔘!"), ("user", "Bye"),
        ("assistant", "Ciao"),
    ]

    static var messages: JinjaValue {
        .array(conversation.enumerated().map { i, m in .object(JinjaObject([("role", .string(m.0)), ("content", .string(m.1))], origin: i)) })
    }

    static let chatML = """
        {% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}
        """

    func slice(_ text: String, _ range: Range<Int>) -> String {
        String(decoding: Array(text.utf8)[range], as: UTF8.self)
    }

    @Test("ChatML: one range per message, covering exactly its markup and content")
    func chatML() throws {
        let t = try JinjaTemplate(source: JinjaTrackingTests.chatML, name: "chatml.jinja")
        let r = try t.renderTracked(["messages": JinjaTrackingTests.messages, "add_generation_prompt": true])
        #expect(r.text == (try t.render(["messages": JinjaTrackingTests.messages, "add_generation_prompt": true])))
        #expect(r.iterations.map(\.origin) == [0, 1, 2, 3, 4])
        for (i, iteration) in r.iterations.enumerated() {
            let (role, content) = JinjaTrackingTests.conversation[i]
            #expect(slice(r.text, iteration.range) == "<|im_start|>\(role)\n\(content)<|im_end|>\n")
        }
        // Contiguous, and the generation prompt after the last message is not part of any iteration.
        for (a, b) in zip(r.iterations, r.iterations.dropFirst()) { #expect(a.range.upperBound == b.range.lowerBound) }
        #expect(r.iterations.first?.range.lowerBound == 0)
        #expect(slice(r.text, r.iterations.last!.range.upperBound..<r.text.utf8.count) == "<|im_start|>assistant\n")
        #expect(r.generationRanges.isEmpty)
    }

    @Test("origins survive variables, slices, reversal, filters and concatenation")
    func originsTravel() throws {
        let cases: [(String, [Int])] = [
            ("{% set loop_messages = messages[1:] %}{% for m in loop_messages %}{{ m.content }}{% endfor %}", [1, 2, 3, 4]),
            ("{% for m in messages[::-1] %}{{ m.role }}{% endfor %}", [4, 3, 2, 1, 0]),
            ("{% for m in messages | reverse %}{{ m.role }}{% endfor %}", [4, 3, 2, 1, 0]),
            ("{% for m in messages | selectattr('role', 'equalto', 'user') %}{{ m.content }}{% endfor %}", [1, 3]),
            ("{% for m in [messages[0]] + messages[3:] %}{{ m.content }}{% endfor %}", [0, 3, 4]),
            ("{% for m in messages if m.role != 'system' %}{{ m.content }}{% endfor %}", [1, 2, 3, 4]),
            ("{% set ns = namespace(ms=messages) %}{% for m in ns.ms | list %}{{ m.content }}{% endfor %}", [0, 1, 2, 3, 4]),
            ("{% for m in messages | sort(attribute='role') %}{{ m.role }}{% endfor %}", [2, 4, 0, 1, 3]),
        ]
        for (source, origins) in cases {
            let r = try JinjaTemplate(source: source).renderTracked(["messages": JinjaTrackingTests.messages])
            #expect(r.iterations.map(\.origin) == origins, "\(source)")
        }
    }

    @Test("a first pass that writes nothing is omitted; a second pass over the same messages is reported")
    func silentFirstPass() throws {
        let source = """
            {%- set ns = namespace(last=-1) %}
            {%- for m in messages[::-1] %}{% if ns.last == -1 and m.role == 'user' %}{% set ns.last = loop.index0 %}{% endif %}{% endfor %}
            {%- for m in messages %}[{{ m.role }}]{% endfor %}
            """
        let r = try JinjaTemplate(source: source).renderTracked(["messages": JinjaTrackingTests.messages])
        #expect(r.text == "[system][user][assistant][user][assistant]")
        #expect(r.iterations.map(\.origin) == [0, 1, 2, 3, 4])
        #expect(r.iterations.map { slice(r.text, $0.range) } == ["[system]", "[user]", "[assistant]", "[user]", "[assistant]"])
    }

    @Test("loops inside set blocks, filter blocks and macro bodies are not reported")
    func capturesAreNotTracked() throws {
        let captured = try JinjaTemplate(source: "{% set x %}{% for m in messages %}{{ m.content }}{% endfor %}{% endset %}{{ x }}")
            .renderTracked(["messages": JinjaTrackingTests.messages])
        #expect(captured.iterations.isEmpty)
        #expect(captured.text.hasPrefix("Be brief."))
        let filtered = try JinjaTemplate(source: "{% filter upper %}{% for m in messages %}{{ m.role }}{% endfor %}{% endfilter %}")
            .renderTracked(["messages": JinjaTrackingTests.messages])
        #expect(filtered.iterations.isEmpty)
        let macro = try JinjaTemplate(source: "{% macro all() %}{% for m in messages %}{{ m.role }}{% endfor %}{% endmacro %}{{ all() }}")
            .renderTracked(["messages": JinjaTrackingTests.messages])
        #expect(macro.iterations.isEmpty)
        #expect(macro.text == "systemuserassistantuserassistant")
    }

    @Test("a macro called from a top-level loop counts as that iteration's output")
    func macroOutputInsideIteration() throws {
        let source = "{% macro show(m) %}<{{ m.role }}:{{ m.content }}>{% endmacro %}{% for m in messages %}{{ show(m) }}{% endfor %}"
        let r = try JinjaTemplate(source: source).renderTracked(["messages": JinjaTrackingTests.messages])
        #expect(r.iterations.count == 5)
        for (i, iteration) in r.iterations.enumerated() {
            let (role, content) = JinjaTrackingTests.conversation[i]
            #expect(slice(r.text, iteration.range) == "<\(role):\(content)>")
        }
    }

    @Test("iterations that write nothing are omitted; break keeps the range written so far")
    func emptyAndBrokenIterations() throws {
        let source = "{% for m in messages %}{% if m.role == 'user' %}{{ m.content }}{% endif %}{% if loop.index == 4 %}{% break %}{% endif %}{% endfor %}"
        let r = try JinjaTemplate(source: source).renderTracked(["messages": JinjaTrackingTests.messages])
        #expect(r.iterations.map(\.origin) == [1, 3])
        #expect(r.iterations.map { slice(r.text, $0.range) } == ["Grüße ☕ — hi", "Bye"])
    }

    @Test("nested loops over tagged objects: outer first, inner ranges inside it")
    func nestedLoops() throws {
        var inner = JinjaObject([("name", "tool")], origin: 100)
        inner["arguments"] = "{}"
        var message = JinjaObject([("role", "assistant")], origin: 7)
        message["tool_calls"] = .array([.object(inner)])
        let source = "{% for m in messages %}<{% for c in m.tool_calls %}[{{ c.name }}]{% endfor %}>{% endfor %}"
        let r = try JinjaTemplate(source: source).renderTracked(["messages": .array([.object(message)])])
        #expect(r.text == "<[tool]>")
        #expect(r.iterations == [JinjaIteration(origin: 7, range: 0..<8), JinjaIteration(origin: 100, range: 1..<7)])
    }

    @Test("generation blocks report the assistant bytes")
    func generation() throws {
        let source = """
            {%- for message in messages %}<|{{ message.role }}|>
            {% if message.role == 'assistant' %}{% generation %}{{ message.content }}<|end|>{% endgeneration %}{% else %}{{ message.content }}<|end|>{% endif %}

            {% endfor %}
            """
        let r = try JinjaTemplate(source: source).renderTracked(["messages": JinjaTrackingTests.messages])
        #expect(r.generationRanges.map { slice(r.text, $0) } == ["Hello 𝔘!<|end|>", "Ciao<|end|>"])
        #expect(r.iterations.count == 5)
        for (g, i) in zip(r.generationRanges, [r.iterations[2], r.iterations[4]]) {
            #expect(i.range.contains(g.lowerBound) && g.upperBound <= i.range.upperBound)
        }
        let plain = try JinjaTemplate(source: source).render(["messages": JinjaTrackingTests.messages])
        #expect(plain == r.text)
    }

    @Test("untagged objects are not reported")
    func untagged() throws {
        let r = try JinjaTemplate(source: "{% for m in ms %}{{ m.a }}{% endfor %}{% for x in [1, 2] %}{{ x }}{% endfor %}")
            .renderTracked(["ms": [["a": 1], ["a": 2]]])
        #expect(r.text == "1212")
        #expect(r.iterations.isEmpty)
    }
}

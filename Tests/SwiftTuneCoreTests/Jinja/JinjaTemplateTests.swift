// The public API around the interpreter: errors (kind, template name, line, description), JSON input,
// JinjaObject, options and strftime_now.

import Foundation
import Testing
@testable import SwiftTuneCore

@Suite("Jinja template API")
struct JinjaTemplateTests {
    func error(_ body: () throws -> Void) -> JinjaError? {
        do {
            try body()
            return nil
        } catch let e as JinjaError {
            return e
        } catch {
            return nil
        }
    }

    @Test("syntax errors name the template and the line")
    func syntaxError() throws {
        let e = try #require(error { _ = try JinjaTemplate(source: "a\nb\n{% for x in %}\n", name: "models/t.jinja") })
        #expect(e.kind == .syntax)
        #expect(e.template == "models/t.jinja")
        #expect(e.line == 3)
        #expect(e.description.hasPrefix("models/t.jinja:3: "))
    }

    @Test("runtime errors carry the line of the failing expression")
    func runtimeError() throws {
        let t = try JinjaTemplate(source: "{% for m in messages %}\n{{ m.content.missing.deeper }}\n{% endfor %}", name: "x.jinja")
        let e = try #require(error { _ = try t.render(["messages": [["content": "hi"]]]) })
        #expect(e.kind == .undefinedName)
        #expect(e.line == 2)
        #expect(e.template == "x.jinja")
        #expect(e.message.contains("m.content.missing"))
    }

    @Test("raise_exception's message reaches JinjaError verbatim")
    func raised() throws {
        let t = try JinjaTemplate(source: "{% if messages[0].role != 'user' %}\n  {{- raise_exception('Roles must alternate: \"user\" first') }}\n{% endif %}")
        let e = try #require(error { _ = try t.render(["messages": [["role": "assistant"]]]) })
        #expect(e.kind == .raised)
        #expect(e.message == "Roles must alternate: \"user\" first")
        #expect(e.line == 2)
    }

    @Test("unknown filters and tests fail at parse time outside if blocks, at run time inside them")
    func unknownNames() throws {
        #expect(error { _ = try JinjaTemplate(source: "{{ x | from_json }}") }?.kind == .unknownFilter)
        #expect(error { _ = try JinjaTemplate(source: "{{ x is frob }}") }?.kind == .unknownTest)
        let soft = try JinjaTemplate(source: "{% if deep %}{{ x | from_json }}{% endif %}ok")
        #expect(try soft.render([:]) == "ok")
        #expect(error { _ = try soft.render(["deep": true]) }?.kind == .unknownFilter)
    }

    @Test("JSONSerialization output: booleans stay booleans, numbers stay numbers")
    func jsonSerializationInput() throws {
        let any = try JSONSerialization.jsonObject(with: Data(#"{"b": true, "i": 1, "d": 1.5, "z": 0, "f": false, "n": null, "l": ["x", {"k": 2}]}"#.utf8))
        let value = try JinjaValue(json: any)
        guard case .object(let o) = value else { Issue.record("not an object"); return }
        #expect(o["b"] == .bool(true))
        #expect(o["f"] == .bool(false))
        #expect(o["i"] == .int(1))
        #expect(o["z"] == .int(0))
        #expect(o["d"] == .double(1.5))
        #expect(o["n"] == JinjaValue.none)
        #expect(o.keys == ["b", "d", "f", "i", "l", "n", "z"])
        let t = try JinjaTemplate(source: "{{ v.b }} {{ v.i + 1 }} {{ v.d }} {{ v.l | tojson }} {{ v.n }}")
        #expect(try t.render(["v": value]) == "True 2 1.5 [\"x\", {\"k\": 2}] None")
        #expect(throws: JinjaError.self) { try JinjaValue(json: Date()) }
    }

    @Test("JSON text keeps key order through tojson and items()")
    func jsonDataOrder() throws {
        let value = try JinjaValue(jsonData: Data(#"{"zeta": 1, "alpha": {"y": [1, 2.0, "é\u00e9\ud83d\ude00"], "x": null}, "mid": true}"#.utf8))
        let t = try JinjaTemplate(source: "{{ v | tojson }}|{% for k, x in v.items() %}{{ k }},{% endfor %}")
        #expect(try t.render(["v": value]) == #"{"zeta": 1, "alpha": {"y": [1, 2.0, "éé😀"], "x": null}, "mid": true}|zeta,alpha,mid,"#)
        #expect(throws: JinjaError.self) { try JinjaValue(jsonData: Data("{\"a\": }".utf8)) }
        #expect(throws: JinjaError.self) { try JinjaValue(jsonData: Data("[1] 2".utf8)) }
    }

    @Test("JinjaObject: insertion order, replacement in place, removal, origin")
    func object() {
        var o = JinjaObject([("b", 1), ("a", 2), ("b", 3)], origin: 4)
        #expect(o.keys == ["b", "a"])
        #expect(o["b"] == .int(3))
        o["c"] = "x"
        o["b"] = nil
        #expect(o.keys == ["a", "c"])
        #expect(o.origin == 4)
        var big = JinjaObject()
        for i in 0..<40 { big["k\(i)"] = .int(i) }
        big["k5"] = nil
        #expect(big["k39"] == .int(39))
        #expect(big["k5"] == nil)
        #expect(big.count == 39)
        #expect(JinjaObject([("a", 1)], origin: 1) != JinjaObject([("a", 1)], origin: 2))
    }

    @Test("options: Jinja2's defaults keep block newlines; transformers' trims them")
    func options() throws {
        let source = "{% if true %}\n  x\n  {% endif %}\n"
        #expect(try JinjaTemplate(source: source, options: JinjaOptions()).render([:]) == "\n  x\n  ")
        #expect(try JinjaTemplate(source: source).render([:]) == "  x\n")
        var keep = JinjaOptions.transformers
        keep.keepTrailingNewline = true
        #expect(try JinjaTemplate(source: "a\n", options: keep).render([:]) == "a\n")
        #expect(try JinjaTemplate(source: "a\n").render([:]) == "a")
    }

    @Test("strftime_now formats the render's clock in local time")
    func strftimeNow() throws {
        let t = try JinjaTemplate(source: "{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%-d') }}")
        let date = Date(timeIntervalSince1970: 1_709_647_629)  // 2024-03-05 14:07:09 UTC
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .current
        let c = calendar.dateComponents([.day, .month, .year], from: date)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let expected = String(format: "%02d %@ %d|%d", c.day!, months[c.month! - 1], c.year!, c.day!)
        #expect(try t.run([:], tracking: false, now: { date }).text == expected)
        #expect(try t.render([:]).count >= 10)
    }

    @Test("a template is Sendable and renders the same from several tasks")
    func concurrentRenders() async throws {
        let t = try JinjaTemplate(source: "{% for m in messages %}{{ m.content }}{% endfor %}")
        let messages: JinjaValue = [["content": "a"], ["content": "b"]]
        let results = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { try t.render(["messages": messages]) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results == Array(repeating: "ab", count: 8))
    }
}

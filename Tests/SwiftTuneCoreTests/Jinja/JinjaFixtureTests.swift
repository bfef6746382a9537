// Every case of Tests/SwiftTuneCoreTests/Fixtures/jinja/cases.json (written by
// Tools/generate_jinja_fixtures.py with jinja2 configured as transformers configures it) rendered by
// SwiftTune and compared byte for byte, or checked to fail with the same kind of error.

import Foundation
import Testing
@testable import SwiftTuneCore

/// The committed jinja2 reference file, parsed with SwiftTune's own order-keeping JSON reader.
struct JinjaFixture {
    let root: JinjaObject

    static let shared: JinjaFixture = {
        guard let url = Bundle.module.url(forResource: "cases", withExtension: "json", subdirectory: "Fixtures/jinja"),
              let data = try? Data(contentsOf: url),
              case .object(let root)? = try? JinjaValue(jsonData: data) else {
            fatalError("missing or unreadable Fixtures/jinja/cases.json")
        }
        return JinjaFixture(root: root)
    }()

    var cases: [JinjaObject] {
        guard case .array(let items)? = root["cases"] else { return [] }
        return items.compactMap { if case .object(let o) = $0 { return o } else { return nil } }
    }

    func array(_ key: String) -> [JinjaObject] {
        guard case .array(let items)? = root["cases" == key ? "cases" : key] else { return [] }
        return items.compactMap { if case .object(let o) = $0 { return o } else { return nil } }
    }

    var context: [String: JinjaValue] {
        guard case .object(let o)? = root["context"] else { return [:] }
        return JinjaFixture.dictionary(o)
    }

    static func dictionary(_ o: JinjaObject) -> [String: JinjaValue] {
        var result: [String: JinjaValue] = [:]
        for key in o.keys { result[key] = o[key] }
        return result
    }
}

extension JinjaObject {
    func string(_ key: String) -> String? { if case .string(let s)? = self[key] { return s } else { return nil } }
    func int(_ key: String) -> Int? { if case .int(let i)? = self[key] { return i } else { return nil } }
    func bool(_ key: String) -> Bool? { if case .bool(let b)? = self[key] { return b } else { return nil } }
    func object(_ key: String) -> JinjaObject? { if case .object(let o)? = self[key] { return o } else { return nil } }
}

@Suite("Jinja fixtures")
struct JinjaFixtureTests {
    static func kind(_ name: String) -> JinjaError.Kind? {
        switch name {
        case "syntax": return .syntax
        case "undefinedName": return .undefinedName
        case "unknownFilter": return .unknownFilter
        case "unknownTest": return .unknownTest
        case "type": return .type
        case "raised": return .raised
        case "limit": return .limit
        default: return nil
        }
    }

    static func render(_ c: JinjaObject, context: [String: JinjaValue]) -> Result<String, Error> {
        var options = JinjaOptions.transformers
        if let o = c.object("options") {
            options.trimBlocks = o.bool("trim_blocks") ?? options.trimBlocks
            options.lstripBlocks = o.bool("lstrip_blocks") ?? options.lstripBlocks
            options.keepTrailingNewline = o.bool("keep_trailing_newline") ?? options.keepTrailingNewline
        }
        let caseContext = c.object("context").map(JinjaFixture.dictionary) ?? context
        return Result {
            try JinjaTemplate(source: c.string("template") ?? "", name: "<template>", options: options).render(caseContext)
        }
    }

    @Test("every jinja2 case renders identically")
    func cases() {
        let fixture = JinjaFixture.shared
        let context = fixture.context
        var failures: [String] = []
        for c in fixture.cases {
            let name = c.string("name") ?? "?"
            let observed = JinjaFixtureTests.render(c, context: context)
            if let expected = c.string("expected") {
                switch observed {
                case .success(let text) where text.utf8.elementsEqual(expected.utf8): break
                case .success(let text):
                    failures.append("\(name)\n  expected: \(expected.debugDescription)\n  observed: \(text.debugDescription)")
                case .failure(let error):
                    failures.append("\(name)\n  expected: \(expected.debugDescription)\n  observed error: \(error)")
                }
            } else if let error = c.object("error") {
                let kind = JinjaFixtureTests.kind(error.string("kind") ?? "")
                let message = error.string("message") ?? ""
                switch observed {
                case .success(let text):
                    failures.append("\(name)\n  expected error: \(kind.map { "\($0)" } ?? "?") \(message)\n  observed: \(text.debugDescription)")
                case .failure(let e as JinjaError):
                    var ok = e.kind == kind && e.template == "<template>"
                    if kind == .raised, e.message != message { ok = false }
                    if let line = error.int("line"), e.line != line { ok = false }
                    if !ok {
                        failures.append("\(name)\n  expected error: \(kind.map { "\($0)" } ?? "?") line \(error.int("line") ?? 0): \(message)\n  observed error: \(e.kind) \(e)")
                    }
                case .failure(let e):
                    failures.append("\(name)\n  observed a non-Jinja error: \(e)")
                }
            }
        }
        #expect(fixture.cases.count > 250)
        #expect(failures.isEmpty, "\(failures.count) of \(fixture.cases.count) cases differ:\n\(failures.joined(separator: "\n"))")
    }

    @Test("float repr matches Python for random doubles")
    func floatRepr() {
        var failures: [String] = []
        let samples = JinjaFixture.shared.array("floats")
        for sample in samples {
            guard let hex = sample.string("bits"), let expected = sample.string("repr") else { continue }
            var bits: UInt64 = 0
            var bytes = Array(hex.utf8)
            var shift: UInt64 = 0
            while bytes.count >= 2 {
                let byte = UInt64(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) ?? 0
                bits |= byte << shift
                shift += 8
                bytes.removeFirst(2)
            }
            let observed = JinjaValue.pythonFloatRepr(Double(bitPattern: bits))
            if observed != expected { failures.append("\(expected) observed \(observed)") }
        }
        #expect(samples.count > 1000)
        #expect(failures.isEmpty, "\(failures.prefix(20).joined(separator: "\n"))")
    }

    @Test("strftime matches Python for fixed dates")
    func strftime() throws {
        var failures: [String] = []
        let utc = try #require(TimeZone(identifier: "UTC"))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = utc
        for sample in JinjaFixture.shared.array("strftime") {
            guard case .array(let parts)? = sample["date"], let format = sample.string("format"),
                  let expected = sample.string("expected") else { continue }
            let p = parts.compactMap(\.integerIndex)
            let date = try #require(calendar.date(from: DateComponents(year: p[0], month: p[1], day: p[2], hour: p[3],
                                                                       minute: p[4], second: p[5])))
            let observed = JinjaStrftime.format(format, date: date, timeZone: utc)
            if observed != expected { failures.append("\(format): expected \(expected) observed \(observed)") }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }
}

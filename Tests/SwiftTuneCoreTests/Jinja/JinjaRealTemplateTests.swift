// A local differential check against real chat templates (not committed: the templates belong to their
// models). `Tools/generate_jinja_fixtures.py --real-templates DIR --real-out FILE` renders each template of
// DIR with jinja2 on a few conversations; with SWIFTTUNE_JINJA_REAL=FILE this test parses every template and
// compares every render byte for byte. Without the variable it does nothing.

import Foundation
import Testing
@testable import SwiftTuneCore

@Suite("Jinja real templates")
struct JinjaRealTemplateTests {
    @Test("real chat templates parse and render like jinja2", .enabled(if: ProcessInfo.processInfo.environment["SWIFTTUNE_JINJA_REAL"] != nil))
    func realTemplates() throws {
        let path = try #require(ProcessInfo.processInfo.environment["SWIFTTUNE_JINJA_REAL"])
        guard case .array(let entries) = try JinjaValue(jsonData: Data(contentsOf: URL(fileURLWithPath: path))) else {
            Issue.record("unreadable \(path)")
            return
        }
        var failures: [String] = []
        var renders = 0
        for case .object(let entry) in entries {
            let name = entry.string("name") ?? "?"
            let template: JinjaTemplate
            do {
                template = try JinjaTemplate(source: entry.string("source") ?? "", name: name)
            } catch {
                failures.append("\(name): does not parse: \(error)")
                continue
            }
            guard case .array(let cases)? = entry["renders"] else { continue }
            for case .object(let c) in cases {
                guard let context = c.object("context") else { continue }
                renders += 1
                let observed = Result { try template.render(JinjaFixture.dictionary(context)) }
                if let expected = c.string("expected") {
                    switch observed {
                    case .success(let text) where text.utf8.elementsEqual(expected.utf8): break
                    case .success(let text):
                        failures.append("\(name) agp=\(context.bool("add_generation_prompt") ?? false)\n  expected: \(expected.debugDescription)\n  observed: \(text.debugDescription)")
                    case .failure(let error):
                        failures.append("\(name): expected \(expected.debugDescription.prefix(200))… observed error \(error)")
                    }
                } else if let error = c.object("error") {
                    switch observed {
                    case .success(let text):
                        failures.append("\(name): expected error \(error.string("message") ?? "") observed \(text.debugDescription.prefix(200))")
                    case .failure(let e as JinjaError):
                        if e.kind != JinjaFixtureTests.kind(error.string("kind") ?? "") {
                            failures.append("\(name): expected \(error.string("kind") ?? "") error \(error.string("message") ?? ""), observed \(e.kind): \(e)")
                        }
                    case .failure(let e):
                        failures.append("\(name): non-Jinja error \(e)")
                    }
                }
            }
        }
        print("JinjaRealTemplateTests: \(entries.count) templates, \(renders) renders, \(failures.count) differences")
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }
}

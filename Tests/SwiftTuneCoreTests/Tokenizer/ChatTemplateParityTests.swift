import Foundation
@testable import SwiftTuneCore
import Testing

/// Real chat templates against transformers' `apply_chat_template(…, tokenize=False)`: the fixtures in
/// Fixtures/templates were rendered by Tools/generate_template_fixtures.py with transformers itself.
@Suite("Real chat templates render as transformers does")
struct ChatTemplateParityTests {
    struct Case {
        var id: String
        var template: String
        var context: ChatContext
        var messages: [ChatMessage]
        var addGenerationPrompt: Bool
        var expected: String?
        var expectedError: String?
        /// The Python exception: `TemplateError` for the template's own `raise_exception`, `UndefinedError` for
        /// using a missing value (where SwiftTune's message words it differently).
        var errorType: String?
        var strftime: (format: String, placeholder: String)?
    }

    static let directory = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/templates")

    static func loadCases() throws -> [Case] {
        let data = try Data(contentsOf: directory.appendingPathComponent("cases.json"))
        guard case let .array(items) = try JinjaValue(jsonData: data) else { throw ChatMessageProblem("cases.json is not a list") }
        return try items.map { item in
            guard case let .object(o) = item, case let .string(id)? = o["id"], case let .string(template)? = o["template"],
                  case let .array(messages)? = o["messages"] else { throw ChatMessageProblem("malformed case") }
            var context = ChatContext()
            if case let .object(tokens)? = o["special_tokens"] {
                for key in tokens.keys { if case let .string(t)? = tokens[key] { context.specialTokens[key] = t } }
            }
            if case let .array(tools)? = o["tools"] { context.tools = tools }
            if case let .array(documents)? = o["documents"] { context.documents = documents }
            if case let .object(kwargs)? = o["kwargs"] { for key in kwargs.keys { context.keywordArguments[key] = kwargs[key] } }
            var strftime: (String, String)?
            if case let .object(s)? = o["expected_strftime"], case let .string(format)? = s["format"],
               case let .string(placeholder)? = s["placeholder"] { strftime = (format, placeholder) }
            func string(_ key: String) -> String? { if case let .string(s)? = o[key] { return s } else { return nil } }
            return Case(id: id, template: template, context: context,
                        messages: try messages.map { m in
                            guard case let .object(obj) = m else { throw ChatMessageProblem("message is not an object") }
                            return try ChatMessage(obj)
                        },
                        addGenerationPrompt: o["add_generation_prompt"] == .bool(true),
                        expected: string("expected"), expectedError: string("expected_error"),
                        errorType: string("error_type"), strftime: strftime)
        }
    }

    static func template(_ file: String) throws -> ChatTemplate {
        try ChatTemplate(contentsOf: directory.appendingPathComponent(file))
    }

    /// Python's `strftime` for the formats the Llama-3.x templates use, in the local time zone.
    static func strftime(_ format: String) -> String {
        var t = time(nil)
        var parts = tm()
        localtime_r(&t, &parts)
        var buffer = [CChar](repeating: 0, count: 128)
        let n = Foundation.strftime(&buffer, buffer.count, format, &parts)
        return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @Test func everyFamilyIsCovered() throws {
        let cases = try Self.loadCases()
        let templates = Set(cases.map(\.template))
        #expect(templates.count >= 9, "templates: \(templates.sorted())")
        #expect(cases.count >= 60)
        #expect(cases.contains { $0.expectedError != nil })
        #expect(cases.contains { $0.context.tools != nil })
        #expect(cases.contains { $0.strftime != nil })
    }

    @Test func rendersEqualTransformers() throws {
        var failures: [String] = []
        var compiled: [String: ChatTemplate] = [:]
        for c in try Self.loadCases() {
            let template = try compiled[c.template] ?? Self.template(c.template)
            compiled[c.template] = template
            do {
                let observed = try template.render(c.messages, addGenerationPrompt: c.addGenerationPrompt, context: c.context)
                guard var expected = c.expected else {
                    failures.append("\(c.id): expected error '\(c.expectedError ?? "")', rendered \(observed.debugDescription)")
                    continue
                }
                if let s = c.strftime { expected = expected.replacingOccurrences(of: s.placeholder, with: Self.strftime(s.format)) }
                if observed != expected {
                    failures.append("\(c.id):\n expected \(expected.debugDescription)\n observed \(observed.debugDescription)")
                }
            } catch let error as JinjaError {
                if let message = c.expectedError {
                    if c.errorType == "UndefinedError" {
                        if error.kind == .raised || error.kind == .syntax { failures.append("\(c.id): expected an undefined-value error, got \(error)") }
                    } else if error.message != message || error.kind != .raised {
                        failures.append("\(c.id): expected error '\(message)', got \(error)")
                    }
                    if !error.template.hasSuffix(c.template) { failures.append("\(c.id): error names \(error.template)") }
                } else {
                    failures.append("\(c.id): \(error)")
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) cases differ:\n\(failures.joined(separator: "\n"))")
    }

    /// Rendering in pieces never changes the text, and every assistant message of a training conversation (no
    /// generation prompt) gets a turn that holds its trimmed content.
    @Test func segmentsCoverAssistantTurns() throws {
        var failures: [String] = []
        for c in try Self.loadCases() where c.expected != nil && c.strftime == nil {
            let template = try Self.template(c.template)
            let text = try template.render(c.messages, addGenerationPrompt: c.addGenerationPrompt, context: c.context)
            let segments = try template.segments(c.messages, addGenerationPrompt: c.addGenerationPrompt, context: c.context)
            if segments.map(\.text).joined() != text { failures.append("\(c.id): segments do not concatenate to the render") }
            for (i, m) in c.messages.enumerated() where m.role == "assistant" {
                let turn = segments.filter { $0.messageIndex == i }.map(\.text).joined()
                let content = m.content.split(separator: "</think>").last.map(String.init) ?? ""
                let core = content.trimmingCharacters(in: .whitespacesAndNewlines)
                // A template may drop an earlier turn's text entirely (none do here for plain content).
                if !core.isEmpty, text.contains(core), !turn.contains(core) {
                    failures.append("\(c.id): message \(i)'s turn \(turn.debugDescription) lacks its content")
                }
            }
            for s in segments where s.messageIndex != nil {
                if c.messages[s.messageIndex!].role != "assistant" { failures.append("\(c.id): a turn of a non-assistant message") }
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }
}

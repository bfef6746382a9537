import Foundation
@testable import SwiftTuneCore
import Testing

/// Conversation rows as ms-swift and OpenAI write them: tool calls, tool responses, extra message keys, `tools`.
@Suite("Conversation rows")
struct ConversationRowTests {
    func row(_ json: String) throws -> DatasetRow { try DatasetRow(json: Data(json.utf8)) }

    @Test func extraKeysAreKeptInOrder() throws {
        let r = try row(#"{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": null, "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": {"z": 1, "a": 2}}}]}, {"role": "tool", "content": "3"}], "tools": [{"type": "function", "function": {"name": "f"}}]}"#)
        let messages = try #require(r.conversation)
        #expect(messages.map(\.role) == ["user", "assistant", "tool"])
        #expect(messages[1].extra["content"] == JinjaValue.none)
        guard case let .array(calls)? = messages[1].extra["tool_calls"], case let .object(call) = calls[0],
              case let .object(function)? = call["function"], case let .object(arguments)? = function["arguments"] else {
            Issue.record("tool_calls not kept: \(messages[1].extra)")
            return
        }
        #expect(arguments.keys == ["z", "a"])
        #expect(r.tools?.count == 1)
        // The template sees no `content` key on the tool-call message (transformers drops None values).
        #expect(messages[1].chatMessage.jinjaObject().keys == ["role", "tool_calls"])
    }

    @Test func msSwiftToolCallRolesBecomeOpenAIMessages() throws {
        let r = try row(#"{"tools": "[{\"type\": \"function\", \"function\": {\"name\": \"f\"}}]", "messages": [{"role": "user", "content": "q"}, {"role": "tool_call", "content": "{\"name\": \"f\", \"arguments\": {\"x\": 1}}"}, {"role": "tool_call", "content": "{\"name\": \"g\", \"arguments\": {}}"}, {"role": "tool_response", "content": "ok"}, {"role": "assistant", "content": "done"}]}"#)
        let messages = try #require(r.conversation)
        #expect(messages.map(\.role) == ["user", "assistant", "tool", "assistant"])
        guard case let .array(calls)? = messages[1].extra["tool_calls"] else { Issue.record("no tool_calls"); return }
        #expect(calls.count == 2)
        #expect(r.tools?.count == 1)
    }

    @Test(arguments: [
        (#"{"messages": [{"role": "user", "content": [{"type": "image"}]}]}"#, "multimodal"),
        (#"{"messages": [{"role": "narrator", "content": "x"}]}"#, "role 'narrator'"),
        (#"{"messages": [{"role": "user", "content": "x", "loss": "yes"}]}"#, "'loss'"),
        (#"{"messages": [{"role": "user"}]}"#, "no 'content'"),
        (#"{"messages": [], "tools": "not json"}"#, "'tools'"),
        (#"{"messages": [{"role": "tool_call", "content": "oops"}]}"#, "tool_call"),
        (#"{"input_ids": [1, 2.5]}"#, "not an integer"),
        (#"{"text": "a"} trailing"#, "not valid JSON"),
    ])
    func badRowsSayWhatIsWrong(json: String, fragment: String) throws {
        do {
            _ = try row(json)
            Issue.record("accepted \(json)")
        } catch let problem as DatasetRowProblem {
            #expect(problem.description.contains(fragment), "\(problem)")
        }
    }

    /// With Qwen2.5's real template, a tool-calling assistant turn is labelled from `<tool_call>` through its
    /// `<|im_end|>\n`, and the tool response is not.
    @Test func toolCallTurnsAreLabelled() throws {
        let f = try TokenizerFixture("qwen2")
        let r = try row(#"{"messages": [{"role": "user", "content": "weather?"}, {"role": "assistant", "content": null, "tool_calls": [{"type": "function", "function": {"name": "get", "arguments": {"city": "Paris"}}}]}, {"role": "tool", "content": "sunny"}, {"role": "assistant", "content": "It is sunny."}], "tools": [{"type": "function", "function": {"name": "get", "parameters": {}}}]}"#)
        let sample = try #require(try SampleEncoder(tokenizer: f.tokenizer, scope: .assistantTokens, maxLength: 4096).encode(r))
        let labelled = f.tokenizer.decode(sample.labels.filter { $0 != -100 })
        #expect(labelled == "<tool_call>\n{\"name\": \"get\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\nIt is sunny.<|im_end|>\n",
                "\(labelled.debugDescription)")
        #expect(f.tokenizer.decode(sample.ids).contains("# Tools"))
    }
}

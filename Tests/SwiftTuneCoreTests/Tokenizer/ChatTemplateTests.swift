import Foundation
import SwiftTuneCore
import Testing

/// Chat templates against transformers' `apply_chat_template` with the real Qwen2.5 and Llama-3 Jinja templates
/// (rendered offline by Tools/generate_tokenizer_fixtures.py).
@Suite("Chat templates match transformers")
struct ChatTemplateTests {
    @Test(arguments: [("qwen2", "qwen2.5"), ("llama3", "llama3")])
    func detectsTemplateFromConfig(fixture: String, expectedName: String) throws {
        let f = try TokenizerFixture(fixture)
        let template = try #require(f.tokenizer.chatTemplate)
        #expect(template.name == expectedName)
        #expect(template == (try ChatTemplate(named: expectedName)))
    }

    @Test(arguments: ["qwen2", "llama3"])
    func renderMatchesTransformers(name: String) throws {
        let f = try TokenizerFixture(name)
        #expect(f.expected.chats.count == 8)
        for chat in f.expected.chats {
            let expected = try #require(chat.rendered)
            let observed = try f.tokenizer.applyChatTemplate(chat.messages, addGenerationPrompt: chat.addGenerationPrompt)
            #expect(TokenizerFixture.same(observed, expected),
                    "\(name) generation=\(chat.addGenerationPrompt)\n expected \(TokenizerFixture.scalars(expected))\n observed \(TokenizerFixture.scalars(observed))")
        }
    }

    @Test(arguments: ["qwen2", "llama3"])
    func segmentedEncodingMatchesWholeText(name: String) throws {
        let f = try TokenizerFixture(name)
        for chat in f.expected.chats {
            let expectedIDs = try #require(chat.ids)
            let tokenized = try f.tokenizer.encodeChat(chat.messages, addGenerationPrompt: chat.addGenerationPrompt)
            #expect(tokenized.ids == expectedIDs, "\(name) ids of \(chat.messages.map(\.role))")
            #expect(tokenized.isTrainable.count == tokenized.ids.count)
        }
    }

    /// The trainable tokens are exactly the assistant contents and their end-of-turn tokens, in order.
    @Test(arguments: ["qwen2", "llama3"])
    func trainableTokensAreAssistantTurns(name: String) throws {
        let f = try TokenizerFixture(name)
        let template = try #require(f.tokenizer.chatTemplate)
        let end = template.format == .chatML ? "<|im_end|>" : "<|eot_id|>"
        for chat in f.expected.chats {
            let tokenized = try f.tokenizer.encodeChat(chat.messages, addGenerationPrompt: chat.addGenerationPrompt)
            let trainable = zip(tokenized.ids, tokenized.isTrainable).filter(\.1).map(\.0)
            let expected = chat.messages.filter { $0.role == "assistant" }.map { m -> String in
                let content = template.format == .llama3 ? m.content.trimmingCharacters(in: .whitespacesAndNewlines) : m.content
                return content + end
            }.joined()
            #expect(TokenizerFixture.same(f.tokenizer.decode(trainable), expected), "\(name): \(f.tokenizer.decode(trainable))")
            let labels = tokenized.labels()
            #expect(labels.filter { $0 != -100 } == trainable)
        }
    }

    @Test func segmentsConcatenateToRender() {
        let messages: [ChatMessage] = [.user("Hi"), .assistant("  Hello!  "), .user("Bye")]
        for template in ChatTemplate.builtIn {
            for generation in [false, true] {
                let segments = template.segments(messages: messages, addGenerationPrompt: generation)
                #expect(segments.map(\.text).joined() == template.render(messages: messages, addGenerationPrompt: generation))
                #expect(segments.filter(\.isAssistantContent).map(\.messageIndex) == [1])
            }
        }
    }

    @Test func qwen2_5AddsDefaultSystemMessageOnlyWithoutOne() {
        let withDefault = ChatTemplate.qwen2_5.render(messages: [.user("Hi")], addGenerationPrompt: true)
        #expect(withDefault == "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
        let withOwn = ChatTemplate.qwen2_5.render(messages: [.system("S"), .user("Hi")], addGenerationPrompt: false)
        #expect(withOwn == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n")
        #expect(ChatTemplate.chatML.render(messages: [.user("Hi")], addGenerationPrompt: false) == "<|im_start|>user\nHi<|im_end|>\n")
    }

    @Test func llama3TrimsContentAndPutsBOSFirst() {
        let text = ChatTemplate.llama3.render(messages: [.user("  Hi \n"), .assistant("\tYo ")], addGenerationPrompt: true)
        #expect(text == "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nYo<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
    }

    /// Qwen2-Instruct's template (Qwen/Qwen2-7B-Instruct tokenizer_config.json) carries a different default.
    @Test func detectsQwen2DefaultSystemMessage() {
        let qwen2 = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
        let detected = ChatTemplate.detect(jinja: qwen2, bosToken: nil)
        #expect(detected == .qwen2)
        let plain = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
        #expect(ChatTemplate.detect(jinja: plain, bosToken: nil) == .chatML)
    }

    @Test func unrecognisedTemplatesAreReported() throws {
        let f = try TokenizerFixture("llama2")  // Llama-2-chat's [INST] template
        #expect(f.tokenizer.config.chatTemplate != nil)
        #expect(f.tokenizer.chatTemplate == nil)
        #expect(throws: TokenizerError.unrecognizedChatTemplate(path: f.tokenizer.path)) {
            try f.tokenizer.applyChatTemplate([.user("Hi")])
        }
        #expect(ChatTemplate.detect(jinja: "{{ 'Cutting Knowledge Date' }}<|start_header_id|><|end_header_id|><|eot_id|>",
                                    bosToken: "<|begin_of_text|>") == nil)
        // An explicit template still works.
        #expect(try f.tokenizer.applyChatTemplate([.user("Hi")], template: .chatML) == "<|im_start|>user\nHi<|im_end|>\n")
    }

    @Test func templatesAreSelectableByName() throws {
        #expect(try ChatTemplate(named: "ChatML") == .chatML)
        #expect(try ChatTemplate(named: "qwen2_5") == .qwen2_5)
        #expect(try ChatTemplate(named: "Llama-3") == .llama3)
        #expect(throws: TokenizerError.unknownChatTemplate(name: "vicuna", known: ["chatml", "qwen2", "qwen2.5", "llama3"])) {
            try ChatTemplate(named: "vicuna")
        }
    }
}

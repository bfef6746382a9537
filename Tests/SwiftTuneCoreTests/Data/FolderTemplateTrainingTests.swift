import Foundation
import SwiftTuneCore
import Testing

/// A model folder whose only chat template is `chat_template.jinja` (as current transformers saves it) trains and
/// generates with that template: labels come from rendering it, and prompts end with its generation prompt.
@Suite("Training with a folder's chat_template.jinja")
struct FolderTemplateTrainingTests {
    /// The embedded default model, copied with its tokenizer_config.json stripped of `chat_template` and a Jinja
    /// template of its own (content trimmed, a `### ` header, a `loss` key the template ignores).
    static func folder() throws -> URL {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let source = root.appendingPathComponent("Defaults/model")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("st-jinja-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        let configURL = folder.appendingPathComponent("tokenizer_config.json")
        var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
        config["chat_template"] = nil
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        let template = """
        {%- for message in messages %}
            {{- '<|im_start|>### ' + message.role + '\\n' + message.content | trim + '<|im_end|>\\n' }}
        {%- endfor %}
        {%- if add_generation_prompt %}
            {{- '<|im_start|>### assistant\\n' }}
        {%- endif %}
        """
        try Data(template.utf8).write(to: folder.appendingPathComponent("chat_template.jinja"))
        return folder
    }

    @Test func trainsAndGeneratesWithTheFolderTemplate() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let tokenizer = try Tokenizer(directory: folder)
        #expect(tokenizer.config.chatTemplate == nil)
        let template = try #require(try tokenizer.folderChatTemplate())
        #expect(template.name.hasSuffix("chat_template.jinja"))

        let row = DatasetRow.messages([DatasetMessage(role: "user", content: " hello "),
                                       DatasetMessage(role: "assistant", content: " world \n")])
        let encoder = SampleEncoder(tokenizer: tokenizer, scope: .assistantTokens, maxLength: 64)
        let sample = try #require(try encoder.encode(row))
        #expect(tokenizer.decode(sample.ids) == "<|im_start|>### user\nhello<|im_end|>\n<|im_start|>### assistant\nworld<|im_end|>\n")
        let labelled = sample.labels.filter { $0 != -100 }
        #expect(tokenizer.decode(labelled) == "world<|im_end|>\n")

        // The whole training set through the template, a few steps, then a generation from the template's prompt.
        let model = try CausalLanguageModel<Float>.load(from: folder)
        try model.applyLoRA(LoRAConfiguration(rank: 4, alpha: 8, targetModules: .allLinear), seed: 0)
        let rows = (0..<16).map { i in
            DatasetRow.messages([DatasetMessage(role: "user", content: "say \(i)"),
                                 DatasetMessage(role: "assistant", content: "number \(i)")])
        }
        let samples = try rows.compactMap { try encoder.encode($0) }
        #expect(samples.count == 16)
        var configuration = TrainingConfiguration()
        configuration.learningRate = 3e-3
        configuration.maxSteps = 4
        configuration.batchSize = 4
        let trainer = try Trainer(model: model, samples: samples, configuration: configuration)
        try trainer.train()
        #expect(trainer.history.count == 4)
        #expect(trainer.history.allSatisfy { $0.loss.isFinite })

        let prompt = try tokenizer.encodeChat([.user("say 3")], addGenerationPrompt: true).ids
        #expect(tokenizer.decode(prompt).hasSuffix("<|im_start|>### assistant\n"))
        let output = try model.generate(prompts: [prompt], maxNewTokens: 6)
        #expect(output[0].count == 6 || output[0].contains(tokenizer.eosTokenID ?? -1))
    }
}

import ArgumentParser
import Foundation
import SwiftTuneCore

struct InferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Generate for every row ({\"input_ids\"}, {\"messages\"} or {\"query\"}), or chat interactively without --dataset.")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var templateOptions: TemplateOptions
    @Option(help: "Input JSONL; without it, an interactive chat.") var dataset: String?
    @Option(help: "Output JSONL: {\"index\", \"output_ids\", \"response\"}.") var output: String?
    @Option(help: "Most new tokens per row (default 256, fewer when the prompt + 256 exceed the model's max_position_embeddings; a larger explicit value is an error).")
    var maxNewTokens: Int?
    @Option(help: "Sampling temperature; 0 is greedy.") var temperature = 0.0
    @Option(help: "Keep the k most likely tokens (0 = all).") var topK = 0
    @Option(help: "Nucleus sampling mass (1 = all).") var topP = 1.0
    @Option(help: "Repetition penalty (1 = none).") var repetitionPenalty = 1.0
    @Option(help: "Sampling seed.") var seed: UInt64 = 0
    @Option(help: "Rows generated together.") var batchSize = 8

    func validate() throws {
        if dataset != nil && output == nil { throw ValidationError("--dataset needs --output") }
        if temperature < 0 || topP <= 0 || topP > 1 || topK < 0 || (maxNewTokens ?? 0) < 0 {
            throw ValidationError("need temperature ≥ 0, 0 < top-p ≤ 1, top-k ≥ 0, max-new-tokens ≥ 0")
        }
    }

    /// `--max-new-tokens`, or by default 256 capped to the positions the longest prompt leaves free.
    func newTokens(_ prompts: [[Int]], _ model: CausalLanguageModel<Float>) -> Int {
        if let maxNewTokens { return maxNewTokens }
        return max(0, min(256, model.configuration.maxPositions - (prompts.map(\.count).max() ?? 0)))
    }

    var sampling: SamplingOptions {
        SamplingOptions(temperature: temperature, topK: topK, topP: topP, repetitionPenalty: repetitionPenalty, seed: seed)
    }

    func run() throws {
        let tokenizer = try modelOptions.loadTokenizer()
        let encoder = try templateOptions.encoder(tokenizer: tokenizer, scope: .assistantTokens, maxLength: Int.max)
        let model = try modelOptions.loadModel()
        var stops = Set(model.configuration.endOfSequenceTokenIDs)
        if let eos = tokenizer.eosTokenID { stops.insert(eos) }
        guard let dataset, let output else { return try chat(model: model, encoder: encoder, stops: stops) }
        let data = try JSONLDataset(contentsOf: URL(fileURLWithPath: dataset))
        let prompts = try data.rows.map { entry -> [Int] in
            let ids = try PromptRow.generationPrompt(entry.row, encoder: encoder)
            guard !ids.isEmpty else { throw CommandError("\(dataset):\(entry.line): empty prompt") }
            if let bad = ids.first(where: { $0 < 0 || $0 >= model.configuration.vocabularySize }) {
                throw CommandError("\(dataset):\(entry.line): token id \(bad) outside the vocabulary")
            }
            return ids
        }
        var writer = JSONLWriter(path: output)
        for start in stride(from: 0, to: prompts.count, by: batchSize) {
            let chunk = Array(prompts[start..<min(start + batchSize, prompts.count)])
            var options = sampling
            options.seed = seed &+ UInt64(start)
            let results: [[Int]]
            do {
                results = try model.generate(prompts: chunk, maxNewTokens: newTokens(chunk, model), sampling: options, stopTokens: stops)
            } catch let error as ModelInputError {
                let lines = data.rows[start..<min(start + batchSize, prompts.count)].map(\.line)
                let at = lines.count == 1 ? "line \(lines[0])" : "lines \(lines.first ?? 0)-\(lines.last ?? 0)"
                let option = maxNewTokens != nil && "\(error)".contains("max_new_tokens") ? " (--max-new-tokens)" : ""
                throw CommandError("\(dataset): \(at): \(error)\(option)")
            }
            for (k, ids) in results.enumerated() {
                let text = tokenizer.decode(ids.filter { !stops.contains($0) }, skipSpecialTokens: true)
                try writer.append(["index": start + k, "output_ids": ids, "response": text])
            }
            Console.bar(min(start + batchSize, prompts.count), prompts.count, "rows")
        }
        Console.endBar()
        try writer.finish()
    }

    func chat(model: CausalLanguageModel<Float>, encoder: SampleEncoder, stops: Set<Int>) throws {
        let tokenizer = encoder.tokenizer
        var messages: [ChatMessage] = encoder.chatMessages([])
        print("SwiftTune chat (empty line or Ctrl-D to quit)")
        while true {
            print("> ", terminator: "")
            guard let line = readLine(), !line.isEmpty else { return }
            messages.append(.user(line))
            let prompt = try tokenizer.encodeChat(messages, addGenerationPrompt: true, template: encoder.template,
                                                 context: encoder.context).ids
            var generated: [Int] = []
            var printed = ""
            _ = try model.generate(prompts: [prompt], maxNewTokens: newTokens([prompt], model), sampling: sampling, stopTokens: stops) { _, token in
                if !stops.contains(token) { generated.append(token) }
                let text = tokenizer.decode(generated, skipSpecialTokens: true)
                if text.hasPrefix(printed) { print(text.dropFirst(printed.count), terminator: ""); printed = text }
                fflush(stdout)
                return true
            }
            print()
            messages.append(.assistant(printed))
        }
    }
}

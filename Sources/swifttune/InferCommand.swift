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
    @Option(help: "Most new tokens per row.") var maxNewTokens = 256
    @Option(help: "Sampling temperature; 0 is greedy.") var temperature = 0.0
    @Option(help: "Keep the k most likely tokens (0 = all).") var topK = 0
    @Option(help: "Nucleus sampling mass (1 = all).") var topP = 1.0
    @Option(help: "Repetition penalty (1 = none).") var repetitionPenalty = 1.0
    @Option(help: "Sampling seed.") var seed: UInt64 = 0
    @Option(help: "Rows generated together.") var batchSize = 8
    @Option(help: "Refuse dataset lines longer than this many bytes (default \(JSONLDataset.defaultMaxRowBytes)).")
    var maxRowBytes: Int?

    /// The largest `--max-new-tokens` accepted before the model is known (each row is further limited by the
    /// model's `max_position_embeddings`).
    static let maxNewTokensBound = 1 << 20

    func validate() throws {
        if dataset != nil && output == nil { throw ValidationError("--dataset needs --output") }
        try OptionRange.finite("--temperature (ms-swift --temperature)", temperature, atLeast: 0)
        if !(topP > 0 && topP <= 1) { throw OptionRange.failure("--top-p (ms-swift --top_p)", topP, "in (0, 1]") }
        try OptionRange.atLeast("--top-k (ms-swift --top_k)", topK, 0)
        try OptionRange.finite("--repetition-penalty (ms-swift --repetition_penalty)", repetitionPenalty, above: 0)
        if !(1...Self.maxNewTokensBound).contains(maxNewTokens) {
            throw OptionRange.failure("--max-new-tokens (ms-swift --max_new_tokens)", maxNewTokens,
                                      "an integer in [1, \(Self.maxNewTokensBound)]")
        }
        try OptionRange.atLeast("--batch-size (ms-swift --max_batch_size)", batchSize, 1)
        try OptionRange.maxRowBytes(maxRowBytes)
    }

    /// The tokens row `line` (of `prompt.count` tokens) may generate: `--max-new-tokens`, at most the positions the
    /// model has left after the prompt.
    /// - Throws: `CommandError` naming the row when the prompt leaves no position to generate into.
    func newTokenLimit(promptLength: Int, maxPositions: Int, row: String) throws -> Int {
        guard promptLength < maxPositions else {
            throw CommandError("\(row): the prompt has \(promptLength) tokens; the model's max_position_embeddings \(maxPositions) "
                               + "leaves no position to generate into")
        }
        return min(maxNewTokens, maxPositions - promptLength)
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
        let data = try JSONLDataset(contentsOf: URL(fileURLWithPath: dataset),
                                    maxRowBytes: maxRowBytes ?? JSONLDataset.defaultMaxRowBytes)
        let vocabulary = model.configuration.vocabularySize, positions = model.configuration.maxPositions
        var limits: [Int] = []
        let prompts = try data.rows.map { entry -> [Int] in
            let ids = try PromptRow.generationPrompt(entry.row, encoder: encoder)
            guard !ids.isEmpty else { throw CommandError("\(dataset):\(entry.line): empty prompt") }
            if let bad = ids.first(where: { $0 < 0 || $0 >= vocabulary }) {
                throw CommandError("\(dataset):\(entry.line): token id \(bad) outside the vocabulary of \(vocabulary)")
            }
            limits.append(try newTokenLimit(promptLength: ids.count, maxPositions: positions, row: "\(dataset):\(entry.line)"))
            return ids
        }
        if let capped = zip(data.rows, limits).first(where: { $0.1 < maxNewTokens }) {
            Console.status("note: \(dataset):\(capped.0.line) and rows like it generate fewer than --max-new-tokens \(maxNewTokens) "
                           + "tokens: prompt and generation must fit max_position_embeddings \(positions)\n")
        }
        var writer = try JSONLWriter(path: output)
        for start in stride(from: 0, to: prompts.count, by: batchSize) {
            let range = start..<min(start + batchSize, prompts.count)
            var options = sampling
            options.seed = seed &+ UInt64(start)
            // Rows of the batch advance together, so the batch generates at most what its longest prompt leaves
            // room for: rows limited by the positions are generated alone, with their own limit.
            let full = range.filter { limits[$0] == maxNewTokens }
            var results: [Int: [Int]] = [:]
            if !full.isEmpty {
                let generated = try model.generate(prompts: full.map { prompts[$0] }, maxNewTokens: maxNewTokens, sampling: options,
                                               stopTokens: stops)
                for (row, ids) in zip(full, generated) { results[row] = ids }
            }
            for row in range where limits[row] < maxNewTokens {
                var alone = sampling
                alone.seed = seed &+ UInt64(row)
                results[row] = try model.generate(prompts: [prompts[row]], maxNewTokens: limits[row], sampling: alone,
                                              stopTokens: stops)[0]
            }
            for row in range {
                let ids = results[row] ?? []
                let text = tokenizer.decode(ids.filter { !stops.contains($0) }, skipSpecialTokens: true)
                try writer.append(["index": row, "output_ids": ids, "response": text])
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
            let limit: Int
            do { limit = try newTokenLimit(promptLength: prompt.count, maxPositions: model.configuration.maxPositions, row: "the chat") } catch {
                print("\(error); the conversation is over")
                return
            }
            var generated: [Int] = []
            var printed = ""
            _ = try model.generate(prompts: [prompt], maxNewTokens: limit, sampling: sampling, stopTokens: stops) { _, token in
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

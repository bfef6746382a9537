import ArgumentParser
import Foundation
import SwiftTuneCore

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score every row: {\"index\", \"tokens\", \"nll\"} per row (mean next-token NLL, natural log); prints the perplexity.")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var templateOptions: TemplateOptions
    @Option(help: "JSONL rows: {\"input_ids\", \"labels\"?}, text or messages.") var dataset: String
    @Option(help: "Output JSONL.") var output: String
    @Option(help: "Refuse dataset lines longer than this many bytes (default \(JSONLDataset.defaultMaxRowBytes)).")
    var maxRowBytes: Int?

    func validate() throws { try OptionRange.maxRowBytes(maxRowBytes) }

    func run() throws {
        let tokenizer = try modelOptions.loadTokenizer()
        let encoder = try templateOptions.encoder(tokenizer: tokenizer, scope: .assistantTokens, maxLength: Int.max)
        let model = try modelOptions.loadModel()
        let data = try JSONLDataset(contentsOf: URL(fileURLWithPath: dataset),
                                    maxRowBytes: maxRowBytes ?? JSONLDataset.defaultMaxRowBytes)
        let vocabulary = model.configuration.vocabularySize, positions = model.configuration.maxPositions
        var writer = try JSONLWriter(path: output)
        var totalNLL = 0.0, totalTokens = 0
        for (i, entry) in data.rows.enumerated() {
            let sample: Sample
            switch entry.row {
            case let .tokenized(ids, labels): sample = Sample(ids: ids, labels: labels ?? ids)
            case let .text(text): let ids = tokenizer.encode(text); sample = Sample(ids: ids, labels: ids)
            default:
                let chat = try tokenizer.encodeChat(encoder.chatMessages(entry.row.conversation ?? []),
                                                    template: encoder.template, context: encoder.context)
                sample = Sample(ids: chat.ids, labels: chat.labels())
            }
            do {
                try sample.validate(vocabularySize: vocabulary)
                if sample.ids.count > positions { throw TrainingError.sampleTooLong(length: sample.ids.count, maxPositions: positions) }
            } catch {
                throw DatasetError.badRow(file: dataset, line: entry.line, reason: "\(error)")
            }
            let scored = sample.scoredTokenCount
            var nll = Double.nan
            if scored > 0 {
                do {
                    nll = Double(try withoutGradients {
                        try model.loss(sample.ids, labels: sample.labels, shape: [1, sample.ids.count]).item
                    })
                } catch let error as ModelInputError {
                    throw CommandError("\(dataset):\(entry.line): \(error)")
                }
                totalNLL += nll * Double(scored)
                totalTokens += scored
            }
            try writer.append(["index": i, "tokens": scored, "nll": scored > 0 ? nll as Any : NSNull()])
            Console.bar(i + 1, data.rows.count, "")
        }
        Console.endBar()
        guard totalTokens > 0 else {
            throw CommandError("\(dataset): no row scores a token (every label is -100, or rows are one token long); "
                               + "nothing to evaluate, so no perplexity")
        }
        try writer.finish()
        let mean = totalNLL / Double(max(totalTokens, 1))
        print(String(format: "scored tokens: %ld  mean nll: %.6f  perplexity: %.4f", totalTokens, mean, Foundation.exp(mean)))
    }
}

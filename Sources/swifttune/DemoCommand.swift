import ArgumentParser
import Foundation
import SwiftTuneCore

/// The main job on the embedded defaults: LoRA fine-tuning of the bundled base model (pretrained by SwiftTune
/// on generated English/Tunish text, see Defaults/pretrain.sh) to translate English phrases into Tunish, with
/// held-out exact match and chrF before and after, and sample translations.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "LoRA-fine-tune the embedded model on the embedded translation task; report held-out exact match and chrF before and after.")

    @Option(help: "Base model folder.") var model = "Defaults/model"
    @Option(help: "Training set.") var dataset = "Defaults/data/train.jsonl"
    @Option(help: "Held-out set.") var testDataset = "Defaults/data/test.jsonl"
    @Option(help: "Where the adapter is written.") var output = "runs/demo-adapter"
    @Option(help: "Optimizer steps.") var steps = 600
    @Option(help: "Samples per step.") var batchSize = 16
    @Option(help: "Peak learning rate.") var learningRate = 3e-3
    @Option(help: "LoRA rank.") var loraRank = 16
    @Option var seed: UInt64 = 0
    @Option(help: "Kernel threads (default: all cores).") var threads: Int?

    func validate() throws {
        try OptionRange.atLeast("--steps", steps, 1)
        try OptionRange.atLeast("--batch-size", batchSize, 1)
        if batchSize > TrainingConfiguration.maxBatchSize {
            throw OptionRange.failure("--batch-size", batchSize, "an integer in [1, \(TrainingConfiguration.maxBatchSize)]")
        }
        try OptionRange.finite("--learning-rate", learningRate, atLeast: 0)
        try OptionRange.atLeast("--lora-rank", loraRank, 1)
        try OptionRange.threads(threads)
    }

    func run() throws {
        if let threads { Runtime.threadCount = threads }
        let modelURL = URL(fileURLWithPath: model)
        let tokenizer = try Tokenizer(directory: modelURL)
        let network = try CausalLanguageModel<Float>.load(from: modelURL)
        let test = try JSONLDataset(contentsOf: URL(fileURLWithPath: testDataset)).rows.compactMap { entry -> [DatasetMessage]? in
            guard let conversation = entry.row.conversation else { return nil }
            // Each held-out row is a prompt and its reference: a user message, then the assistant's answer.
            guard conversation.count >= 2, conversation[0].role == "user", conversation[1].role == "assistant" else {
                throw CommandError("\(testDataset):\(entry.line): a held-out row needs a user message followed by the "
                                   + "assistant's reference answer (it has \(conversation.map(\.role)))")
            }
            return conversation
        }
        let prompts = try test.map { try tokenizer.encodeChat([ChatMessage(role: "user", content: $0[0].content)], addGenerationPrompt: true).ids }
        let references = test.map { $0[1].content }
        print("SwiftTune demo: \(network.parameterCount) parameters, \(test.count) held-out phrases, \(Runtime.threadCount) threads")

        let before = try translate(network, tokenizer, prompts)
        report("before fine-tuning", before, references)

        let encoder = SampleEncoder(tokenizer: tokenizer, scope: .assistantTokens, maxLength: 64)
        let samples = try JSONLDataset(contentsOf: URL(fileURLWithPath: dataset)).rows.compactMap { try encoder.encode($0.row) }
        let lora = LoRAConfiguration(rank: loraRank, alpha: 2 * Double(loraRank), dropout: 0.05, targetModules: .allLinear)
        try network.applyLoRA(lora, seed: seed)
        var configuration = TrainingConfiguration()
        configuration.learningRate = learningRate
        configuration.maxSteps = steps
        configuration.batchSize = batchSize
        configuration.warmupRatio = 0.05
        configuration.weightDecay = 0
        configuration.seed = seed
        configuration.gradientCheckpointing = false
        configuration.gradientAccumulationSteps = 1
        let trainer = try Trainer(model: network, samples: samples, configuration: configuration)
        let trainable = trainer.parameters.reduce(0) { $0 + $1.value.count }
        print("LoRA r=\(loraRank) on all linear layers: \(trainable) trainable parameters, \(samples.count) training pairs, \(steps) steps")
        network.setLoRATraining(true)
        trainer.willRunMicroBatch = { network.setLoRADropoutStep(UInt64($0)) }
        try trainer.train(onProgress: { p in
            Console.training(p, logged: configuration.isLoggingStep(p.step, totalSteps: p.totalSteps) || p.validationLoss != nil)
            return .proceed
        })
        Console.endBar()
        network.setLoRATraining(false)
        let after = try translate(network, tokenizer, prompts)
        report("after fine-tuning", after, references)
        print("samples (held out):")
        for i in 0..<min(6, test.count) {
            print("  \(test[i][0].content.replacingOccurrences(of: "Translate to Tunish: ", with: ""))")
            print("    → \(after[i])  \(after[i] == references[i] ? "✓" : "✗ expected: \(references[i])")")
        }
        try network.saveLoRAAdapter(lora, to: URL(fileURLWithPath: output))
        print("adapter saved to \(output) (PEFT format)")
    }

    func translate(_ model: CausalLanguageModel<Float>, _ tokenizer: Tokenizer, _ prompts: [[Int]]) throws -> [String] {
        var out: [String] = []
        let stops: Set<Int> = Set([tokenizer.eosTokenID].compactMap { $0 } + model.configuration.endOfSequenceTokenIDs)
        for start in stride(from: 0, to: prompts.count, by: 50) {
            let chunk = Array(prompts[start..<min(start + 50, prompts.count)])
            for ids in try model.generate(prompts: chunk, maxNewTokens: 24, stopTokens: stops) {
                out.append(tokenizer.decode(ids.filter { !stops.contains($0) }, skipSpecialTokens: true)
                    .trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        return out
    }

    func report(_ when: String, _ predictions: [String], _ references: [String]) {
        let em = TextMetrics.exactMatch(predictions: predictions, references: references)
        let chrf = TextMetrics.chrF(predictions: predictions, references: references)
        print(String(format: "held-out %@: exact match %.1f%%, chrF %.1f", when, em * 100, chrf))
    }
}

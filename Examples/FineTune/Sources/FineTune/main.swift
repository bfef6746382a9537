// Fine-tune and generate in-process: LoRA on a Hugging Face model folder, then translate with the result.
// Usage: FineTune <model folder> <train.jsonl> <test.jsonl> [steps]
import Foundation
import SwiftTuneCore

let arguments = CommandLine.arguments
guard arguments.count >= 4 else {
    print("usage: FineTune <model folder> <train.jsonl> <test.jsonl> [steps]")
    exit(2)
}
let steps = arguments.count > 4 ? Int(arguments[4]) ?? 40 : 40
let folder = URL(fileURLWithPath: arguments[1])

// 1. A tensor operation with autograd, through the public API.
var rng = RandomGenerator(seed: 42)
let w = Tensor<Float>.randomNormal([3, 8], generator: &rng).requiringGradient()
let y = matmul(Tensor<Float>.randomNormal([4, 8], generator: &rng), w, transposeB: true).silu().square().mean()
y.backward()
guard y.item.isFinite, w.grad?.shape == [3, 8] else { print("tensor check failed"); exit(1) }

// 2. Load a model and its tokenizer, add LoRA adapters, train on chat data.
let tokenizer = try Tokenizer(directory: folder)
let model = try CausalLanguageModel<Float>.load(from: folder)
let encoder = SampleEncoder(tokenizer: tokenizer, scope: .assistantTokens, maxLength: 64)
let samples = try JSONLDataset(contentsOf: URL(fileURLWithPath: arguments[2])).rows.compactMap { try encoder.encode($0.row) }
try model.applyLoRA(LoRAConfiguration(rank: 8, alpha: 16, targetModules: .allLinear), seed: 0)
var configuration = TrainingConfiguration()
configuration.learningRate = 3e-3
configuration.maxSteps = steps
configuration.batchSize = 8
let trainer = try Trainer(model: model, samples: samples, configuration: configuration)
try trainer.train(onProgress: { p in
    if p.step % 10 == 0 || p.step == p.totalSteps { print("step \(p.step)/\(p.totalSteps) loss \(String(format: "%.3f", p.loss))") }
    return .proceed
})
guard let first = trainer.history.first?.loss, let last = trainer.history.last?.loss, last < first else {
    print("loss did not go down"); exit(1)
}

// 3. Generate with the fine-tuned model.
let test = try JSONLDataset(contentsOf: URL(fileURLWithPath: arguments[3])).rows.prefix(3).compactMap { $0.row.conversation }
var scored: [RewardInput] = []
for conversation in test {
    let prompt = try tokenizer.encodeChat([ChatMessage(role: "user", content: conversation[0].content)], addGenerationPrompt: true).ids
    let ids = try model.generate(prompts: [prompt], maxNewTokens: 16, stopTokens: Set([tokenizer.eosTokenID].compactMap { $0 }))[0]
    let text = tokenizer.decode(ids, skipSpecialTokens: true)
    print("\(conversation[0].content) → \(text)")
    scored.append(RewardInput(completion: text, completionIDs: ids, prompt: [conversation[0]],
                              columns: ["solution": .string(conversation.last?.content ?? "")]))
}

// 4. Score the translations as GRPO would: a built-in reward (chrF against the reference) and a custom one, then
// the group-normalised advantages (here the three completions form one group).
let rewards: [any RewardFunction] = [try RewardRegistry.make("chrf"), ReferenceLengthReward()]
let table = try RewardRegistry.score(scored, with: rewards)
let advantages = try GRPOAdvantages(rewardsPerFunction: table, functionNames: rewards.map(\.name), weights: [0.01, 1],
                                    numGenerations: scored.count)
let shown = table.map { row in row.map { $0.map { String(format: "%.2f", $0) } ?? "-" }.joined(separator: "/") }
print("rewards (chrf/reference_length) \(shown), advantages \(advantages.advantages.map { String(format: "%.2f", $0) })")
print("FineTune example: ok")

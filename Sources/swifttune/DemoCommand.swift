import ArgumentParser
import Foundation
import SwiftTuneCore

/// Trains a small Llama-architecture model from scratch on an embedded, generated task (two-digit addition,
/// "27+58=85"), and reports held-out exact match before and after, with sample generations.
///
/// The task is generated from a seed, so every run and machine sees the same train / held-out split: held-out
/// problems are pairs (a, b) never shown in training. Loss is on the answer tokens only, as in SFT.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Train a small decoder from scratch on an embedded addition task and measure held-out exact match.")

    @Option(help: "Optimizer steps.") var steps = 1500
    @Option(help: "Sequences per step.") var batchSize = 64
    @Option(help: "Peak learning rate (linear warmup over 5% of steps, then linear decay).") var learningRate = 3e-3
    @Option(help: "Random seed for data split, initialisation and batches.") var seed: UInt64 = 0
    @Option(help: "Kernel threads (default: all cores).") var threads: Int?

    func run() throws {
        if let threads { Runtime.threadCount = threads }
        let task = AdditionTask(seed: seed)
        let config = ModelConfiguration(architecture: .llama, vocabularySize: AdditionTask.vocabulary.count,
                                        hiddenSize: 96, intermediateSize: 256, layerCount: 3, attentionHeads: 4,
                                        keyValueHeads: 2, rmsNormEpsilon: 1e-6, ropeTheta: 10_000, maxPositions: 16,
                                        tieWordEmbeddings: true)
        let model = CausalLanguageModel<Float>(configuration: config, seed: seed)
        print("SwiftTune demo: \(model.parameterCount) parameters (Llama architecture, \(config.layerCount) layers, "
              + "GQA \(config.attentionHeads)/\(config.keyValueHeads) heads), \(task.train.count) training problems, "
              + "\(task.heldOut.count) held out, \(Runtime.threadCount) threads")
        let before = task.exactMatch(model, problems: Array(task.heldOut.prefix(200)))
        print(String(format: "held-out exact match before training: %.1f%%", before * 100))

        let optimizer = AdamW<Float>(learningRate: learningRate, weightDecay: 0.01)
        var rng = RandomGenerator(seed: seed &+ 1)
        let start = Date()
        var tokens = 0
        var smoothed = 0.0
        for step in 1...steps {
            let batch = task.batch(size: batchSize, generator: &rng)
            let loss = model.loss(batch.ids, labels: batch.labels, shape: [batchSize, AdditionTask.length])
            loss.backward()
            clipGradientNorm(model.parameters, maxNorm: 1)
            let warmup = max(1, steps / 20)
            optimizer.learningRate = learningRate * (step <= warmup ? Double(step) / Double(warmup)
                                                     : Double(steps - step + 1) / Double(steps - warmup + 1))
            optimizer.step(model.parameters)
            model.zeroGradients()
            tokens += batch.ids.count
            smoothed = step == 1 ? Double(loss.item) : 0.95 * smoothed + 0.05 * Double(loss.item)
            if step % 25 == 0 || step == steps {
                let elapsed = Date().timeIntervalSince(start)
                let eta = elapsed / Double(step) * Double(steps - step)
                let bar = String(repeating: "█", count: 30 * step / steps).padding(toLength: 30, withPad: "·", startingAt: 0)
                FileHandle.standardError.write(String(
                    format: "\r%@ %d/%d  loss %.4f  lr %.2e  %.0f tok/s  ETA %.0fs   ", bar, step, steps, smoothed,
                    optimizer.learningRate, Double(tokens) / elapsed, eta).data(using: .utf8)!)
            }
        }
        FileHandle.standardError.write("\n".data(using: .utf8)!)
        let after = task.exactMatch(model, problems: task.heldOut)
        print(String(format: "held-out exact match after training: %.1f%% (%d problems; before: %.1f%%)",
                     after * 100, task.heldOut.count, before * 100))
        print("samples (held out):")
        for problem in task.heldOut.prefix(6) {
            let answer = task.generate(model, prompt: problem.prompt)
            let mark = answer == problem.answer ? "✓" : "✗ (expected \(problem.answer))"
            print("  \(problem.prompt)\(answer)  \(mark)")
        }
    }
}

/// "a+b=" → "c\n" over a character vocabulary, padded to a fixed length.
struct AdditionTask {
    static let vocabulary = Array("0123456789+=\n_")
    static let length = 10
    static let newline = vocabulary.firstIndex(of: "\n")!
    static let pad = vocabulary.firstIndex(of: "_")!

    struct Problem {
        let prompt: String
        let answer: String
    }

    let train: [Problem]
    let heldOut: [Problem]

    init(seed: UInt64) {
        var all: [Problem] = []
        for a in 0..<100 { for b in 0..<100 { all.append(Problem(prompt: "\(a)+\(b)=", answer: "\(a + b)")) } }
        var rng = RandomGenerator(seed: seed &+ 7)
        all.shuffle(using: &rng)
        heldOut = Array(all.prefix(1000))
        train = Array(all.dropFirst(1000))
    }

    static func encode(_ text: String) -> [Int] { text.map { vocabulary.firstIndex(of: $0)! } }

    /// ids and labels `[size, length]`; labels score only the answer and the newline after it.
    func batch(size: Int, generator: inout RandomGenerator) -> (ids: [Int], labels: [Int]) {
        var ids: [Int] = [], labels: [Int] = []
        for _ in 0..<size {
            let p = train[Int(generator.next() % UInt64(train.count))]
            let prompt = Self.encode(p.prompt), answer = Self.encode(p.answer) + [Self.newline]
            var row = prompt + answer
            var rowLabels = [Int](repeating: ignoreIndex, count: prompt.count) + answer
            while row.count < Self.length { row.append(Self.pad); rowLabels.append(ignoreIndex) }
            ids += row
            labels += rowLabels
        }
        return (ids, labels)
    }

    /// Greedy decoding until a newline (recomputes the short prefix each step).
    func generate(_ model: CausalLanguageModel<Float>, prompt: String) -> String {
        var ids = Self.encode(prompt)
        var output = ""
        withoutGradients {
            while ids.count < Self.length {
                let logits = model(ids, shape: [1, ids.count])
                let next = Int(logits.slice(axis: 1, (ids.count - 1)..<ids.count).argmax(axis: 2).item)
                if next == Self.newline { break }
                output.append(Self.vocabulary[next])
                ids.append(next)
            }
        }
        return output
    }

    func exactMatch(_ model: CausalLanguageModel<Float>, problems: [Problem]) -> Double {
        let correct = problems.filter { generate(model, prompt: $0.prompt) == $0.answer }.count
        return Double(correct) / Double(max(problems.count, 1))
    }
}

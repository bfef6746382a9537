import ArgumentParser
import Foundation
import SwiftTuneCore

/// `swifttune pt` and `swifttune sft`: the same trainer, differing in which tokens carry loss.
struct TrainOptions: ParsableArguments {
    @Option(help: "A Hugging Face model folder.") var model: String
    @Option(help: "Training JSONL.") var dataset: String
    @Option(help: "Validation JSONL.") var valDataset: String?
    @Option(help: "Output folder (a PEFT adapter folder for lora/dora, a model folder for full).") var output: String
    @Option(help: "JSON or flat YAML file with these options (command-line options win).") var config: String?
    @Option(help: "lora, dora or full.") var tuner = "lora"
    @Option(help: "LoRA rank r.") var loraRank = 8
    @Option(help: "LoRA alpha (scale = alpha / r).") var loraAlpha = 32.0
    @Option(help: "Dropout on the LoRA input.") var loraDropout = 0.05
    @Flag(help: "rsLoRA scaling alpha / √r.") var useRslora = false
    @Option(help: "Comma list of projections (q_proj,…) or all-linear.") var targetModules = "all-linear"
    @Option(help: "Quantize the frozen base: nf4 (QLoRA).") var quantize: String?
    @Option(help: "Continue training this PEFT adapter folder.") var adapters: String?
    @Option(help: "adamw or sgd.") var optimizer = "adamw"
    @Option(help: "Peak learning rate.") var learningRate = 1e-4
    @Option var weightDecay = 0.1
    @Option var adamBeta1 = 0.9
    @Option var adamBeta2 = 0.95
    @Option var adamEpsilon = 1e-8
    @Option(help: "SGD momentum μ.") var sgdMomentum = 0.0
    @Flag(help: "Nesterov momentum for SGD.") var sgdNesterov = false
    @Option(help: "LoRA+: lora_B and 1-D tensors learn at learning-rate × this ratio.") var lorapLrRatio: Double?
    @Option(help: "Global gradient-norm clipping (0 = off).") var maxGradNorm = 1.0
    @Option(help: "constant, linear or cosine.") var lrScheduler = "cosine"
    @Option var warmupSteps = 0
    @Option var warmupRatio = 0.05
    @Option var numTrainEpochs = 1.0
    @Option(help: "Stop after this many optimizer steps (cycles the data).") var maxSteps: Int?
    @Option var batchSize = 1
    @Option var gradientAccumulationSteps = 1
    @Option var maxLength = 2048
    @Option(help: "delete, left or right.") var truncationStrategy = "delete"
    @Flag(help: "Pack samples into rows of --max-length.") var packing = false
    @Option(help: "Shuffle the data (true/false).") var shuffle = true
    @Option var seed: UInt64 = 42
    @Option(help: "Checkpoint every N steps (0 = at the end only).") var saveSteps = 0
    @Option(help: "Validation every N steps (0 = at the end only).") var evalSteps = 0
    @Option(help: "Recompute activations in backward (true/false).") var gradientCheckpointing = true
    @Option var resumeFromCheckpoint: String?
    @Flag(help: "Skip malformed dataset rows (reported) instead of stopping.") var skipBadRows = false
    @Option(help: "Kernel threads (default: all cores).") var threads: Int?
    @OptionGroup var templateOptions: TemplateOptions

    func validate() throws {
        guard ["lora", "dora", "full"].contains(tuner) else { throw ValidationError("--tuner must be lora, dora or full") }
        guard ["adamw", "sgd"].contains(optimizer) else { throw ValidationError("--optimizer must be adamw or sgd") }
        guard LearningRateSchedule.Kind(rawValue: lrScheduler) != nil else { throw ValidationError("--lr-scheduler must be constant, linear or cosine") }
        guard TruncationStrategy(rawValue: truncationStrategy) != nil else { throw ValidationError("--truncation-strategy must be delete, left or right") }
        if sgdNesterov && sgdMomentum <= 0 { throw ValidationError("--sgd-nesterov needs --sgd-momentum > 0") }
        if let r = lorapLrRatio, !(r > 0) { throw ValidationError("--lorap-lr-ratio must be positive") }
        if lorapLrRatio != nil && tuner == "full" { throw ValidationError("--lorap-lr-ratio needs --tuner lora or dora") }
        if let quantize, quantize != "nf4" { throw ValidationError("--quantize supports nf4") }
        if quantize != nil && tuner == "full" { throw ValidationError("--quantize nf4 needs --tuner lora or dora (the base is frozen)") }
        guard batchSize > 0, gradientAccumulationSteps > 0, maxLength > 1, loraRank > 0 else {
            throw ValidationError("--batch-size, --gradient-accumulation-steps, --lora-rank must be positive and --max-length > 1")
        }
    }

    var trainingConfiguration: TrainingConfiguration {
        var c = TrainingConfiguration()
        c.optimizer = TrainingConfiguration.OptimizerKind(rawValue: optimizer)!
        c.learningRate = learningRate
        c.weightDecay = weightDecay
        c.adamBeta1 = adamBeta1
        c.adamBeta2 = adamBeta2
        c.adamEpsilon = adamEpsilon
        c.sgdMomentum = sgdMomentum
        c.sgdNesterov = sgdNesterov
        c.loraPlusRatio = lorapLrRatio
        c.maxGradNorm = maxGradNorm
        c.lrScheduler = LearningRateSchedule.Kind(rawValue: lrScheduler)!
        c.warmupSteps = warmupSteps
        c.warmupRatio = warmupRatio
        c.numTrainEpochs = numTrainEpochs
        c.maxSteps = maxSteps
        c.batchSize = batchSize
        c.gradientAccumulationSteps = gradientAccumulationSteps
        c.maxLength = maxLength
        c.truncationStrategy = TruncationStrategy(rawValue: truncationStrategy)!
        c.packing = packing
        c.shuffle = shuffle
        c.seed = seed
        c.saveSteps = saveSteps
        c.evalSteps = evalSteps
        c.gradientCheckpointing = gradientCheckpointing
        return c
    }
}

struct PretrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pt", abstract: "Continued pretraining: loss on every token.")
    @OptionGroup var options: TrainOptions
    func run() throws { try TrainingJob(options: options, scope: .allTokens).run() }
}

struct SFTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sft", abstract: "Supervised fine-tuning: loss on assistant tokens.")
    @OptionGroup var options: TrainOptions
    func run() throws { try TrainingJob(options: options, scope: .assistantTokens).run() }
}

import ArgumentParser
import Foundation
import SwiftTuneCore

/// `swifttune pt` and `swifttune sft`: the same trainer, differing in which tokens carry loss.
///
/// Every option without a value on the command line takes its default from ``TrainingConfiguration`` (training)
/// or ``LoRAConfiguration/trainingDefault`` (the adapter): ms-swift's defaults, in one place. Each option also
/// answers to ms-swift's name (``MSSwiftOptions``).
struct TrainOptions: ParsableArguments {
    private static let d = TrainingConfiguration()
    private static let lora = LoRAConfiguration.trainingDefault

    @Option(help: "A Hugging Face model folder.") var model: String
    @Option(parsing: .upToNextOption, help: "Training JSONL files (file.jsonl#N: a seeded sample of N rows, as ms-swift).")
    var dataset: [String]
    @Option(parsing: .upToNextOption, help: "Validation JSONL files (file.jsonl#N: the first N rows, as ms-swift).")
    var valDataset: [String] = []
    @Option(help: "Output folder (a PEFT adapter folder for lora/dora, a model folder for full).") var output: String
    @Option(help: "JSON or flat YAML file with these options (command-line options win).") var config: String?
    @Option(help: "lora, dora (= lora with --use-dora) or full (default lora).") var tuner: String?
    @Option(help: "LoRA rank r (default \(lora.rank)).") var loraRank: Int?
    @Option(help: "LoRA alpha; scale = alpha / r (default \(Int(lora.alpha))).") var loraAlpha: Double?
    @Option(help: "Dropout on the LoRA input (default \(lora.dropout)).") var loraDropout: Double?
    @Flag(inversion: .prefixedNo, exclusivity: .chooseLast, help: "rsLoRA scaling alpha / √r (default off).") var useRslora: Bool?
    @Flag(inversion: .prefixedNo, exclusivity: .chooseLast, help: "DoRA: weight-decomposed LoRA (default off).") var useDora: Bool?
    @Option(parsing: .upToNextOption, help: "Projections (q_proj k_proj …, or comma-separated) or all-linear (default).")
    var targetModules: [String] = []
    @Option(help: "Quantize the frozen base: nf4 (QLoRA).") var quantize: String?
    @Option(parsing: .upToNextOption, help: "Continue training this PEFT adapter folder.") var adapters: [String] = []
    @Option(help: "adamw or sgd (default adamw).") var optimizer: String?
    @Option(help: ArgumentHelp("Peak learning rate (default \(TrainingConfiguration.TunerType.lora.defaultLearningRate) for lora, "
            + "\(TrainingConfiguration.TunerType.full.defaultLearningRate) for full).")) var learningRate: Double?
    @Option(help: "Decoupled weight decay (default \(d.weightDecay)).") var weightDecay: Double?
    @Option(help: "AdamW β₁ (default \(d.adamBeta1)).") var adamBeta1: Double?
    @Option(help: "AdamW β₂ (default \(d.adamBeta2)).") var adamBeta2: Double?
    @Option(help: "AdamW ε (default \(d.adamEpsilon)).") var adamEpsilon: Double?
    @Option(help: "SGD momentum μ (default 0).") var sgdMomentum: Double?
    @Flag(inversion: .prefixedNo, exclusivity: .chooseLast, help: "Nesterov momentum for SGD.") var sgdNesterov: Bool?
    @Option(help: "LoRA+: lora_B and 1-D tensors learn at learning-rate × this ratio.") var lorapLrRatio: Double?
    @Option(help: "Global gradient-norm clipping, 0 = off (default \(Int(d.maxGradNorm))).") var maxGradNorm: Double?
    @OptionGroup var schedule: ScheduleOptions
    @Option(help: "Warmup optimizer steps; wins over --warmup-ratio (default 0).") var warmupSteps: Int?
    @Option(help: "Warmup as a fraction of the steps, ceil(ratio × steps) (default \(d.warmupRatio)).") var warmupRatio: Double?
    @Option(help: "Epochs (default \(Int(d.numTrainEpochs))).") var numTrainEpochs: Double?
    @Option(help: "Stop after this many optimizer steps (cycles the data).") var maxSteps: Int?
    @Option(help: "Samples per micro-batch (default \(d.batchSize)).") var batchSize: Int?
    @Option(help: "Micro-batches per step (default ceil(16 / batch size), as ms-swift).") var gradientAccumulationSteps: Int?
    @Option(help: "Longest sample in tokens (default the model's max_position_embeddings).") var maxLength: Int?
    @Option(help: "delete, left or right (default delete).") var truncationStrategy: String?
    @Flag(inversion: .prefixedNo, exclusivity: .chooseLast, help: "Pack samples into rows of --max-length (default off).") var packing: Bool?
    @Flag(inversion: .prefixedNo, exclusivity: .chooseLast, help: "Shuffle the data (default on).") var shuffle: Bool?
    @Option(help: "Seed of shuffling, sampling and adapter initialisation (default \(d.seed)).") var seed: UInt64?
    @Option(help: "Checkpoint every N steps, 0 = at the end only (default \(d.saveSteps)).") var saveSteps: Int?
    @Option(help: "Validation every N steps, 0 = at the end only (default: --save-steps).") var evalSteps: Int?
    @Option(help: "Progress line and logging.jsonl record every N steps (default \(d.loggingSteps)).") var loggingSteps: Int?
    @Flag(inversion: .prefixedNo, exclusivity: .chooseLast, help: "Recompute activations in backward (default on).")
    var gradientCheckpointing: Bool?
    @Option var resumeFromCheckpoint: String?
    @Flag(inversion: .prefixedNo, exclusivity: .chooseLast, help: "Skip malformed dataset rows (reported) instead of stopping.")
    var skipBadRows: Bool?
    @Flag(inversion: .prefixedNo, exclusivity: .chooseLast,
          help: "Skip (and count) steps whose loss or gradient norm is not finite, instead of stopping the run.")
    var skipNonfiniteSteps: Bool?
    @Option(help: "Refuse dataset lines longer than this many bytes (default \(JSONLDataset.defaultMaxRowBytes)).")
    var maxRowBytes: Int?
    @Option(help: "Kernel threads (default: all cores).") var threads: Int?
    @OptionGroup var templateOptions: TemplateOptions

    /// `lora` or `full` (DoRA is LoRA with ``useDoRA``).
    var tunerType: TrainingConfiguration.TunerType { tuner == "full" ? .full : .lora }
    var isFull: Bool { tunerType == .full }
    var useDoRA: Bool { tuner == "dora" || useDora == true }
    var adapter: String? { adapters.first }

    func validate() throws {
        if let tuner, !["lora", "dora", "full"].contains(tuner) { throw ValidationError("--tuner '\(tuner)' is not supported: must be lora, dora or full") }
        if let optimizer, !["adamw", "sgd"].contains(optimizer) { throw ValidationError("--optimizer '\(optimizer)' is not supported: must be adamw or sgd") }
        if let truncationStrategy, TruncationStrategy(rawValue: truncationStrategy) == nil {
            throw ValidationError("--truncation-strategy '\(truncationStrategy)' is not supported: must be delete, left or right")
        }
        if dataset.isEmpty { throw ValidationError("--dataset needs at least one file") }
        for (option, list) in [("--dataset", dataset), ("--val-dataset", valDataset)] {
            for text in list {
                do { _ = try DatasetSource(parsing: text) } catch { throw ValidationError("\(option) \(error)") }
            }
        }
        if adapters.count > 1 { throw ValidationError("--adapters: SwiftTune continues one adapter, not \(adapters.count)") }
        if sgdNesterov == true && !((sgdMomentum ?? 0) > 0) { throw ValidationError("--sgd-nesterov needs --sgd-momentum > 0") }
        if let r = lorapLrRatio, !(r > 0) { throw OptionRange.failure("--lorap-lr-ratio (ms-swift --lorap_lr_ratio)", r, "a finite number > 0") }
        if lorapLrRatio != nil && isFull { throw ValidationError("--lorap-lr-ratio needs --tuner lora or dora") }
        if useDora == true && isFull { throw ValidationError("--use-dora needs --tuner lora") }
        if let quantize, quantize != "nf4" { throw ValidationError("--quantize '\(quantize)' is not supported: must be nf4") }
        if quantize != nil && isFull { throw ValidationError("--quantize nf4 needs --tuner lora or dora (the base is frozen)") }
        try OptionRange.atLeast("--lora-rank (ms-swift --lora_rank)", loraRank, 1)
        try OptionRange.finite("--lora-alpha (ms-swift --lora_alpha)", loraAlpha, above: 0)
        if let loraDropout, !(loraDropout >= 0 && loraDropout < 1) {
            throw OptionRange.failure("--lora-dropout (ms-swift --lora_dropout)", loraDropout, "in [0, 1)")
        }
        try OptionRange.threads(threads)
        try OptionRange.maxRowBytes(maxRowBytes)
        _ = try trainingConfiguration()
    }

    /// The run's configuration: ``TrainingConfiguration``'s defaults overridden by the options given.
    func trainingConfiguration() throws -> TrainingConfiguration {
        var c = TrainingConfiguration(tuner: tunerType)
        func set<T>(_ path: WritableKeyPath<TrainingConfiguration, T>, _ value: T?) { if let value { c[keyPath: path] = value } }
        set(\.optimizer, optimizer.flatMap(TrainingConfiguration.OptimizerKind.init(rawValue:)))
        c.learningRate = learningRate
        set(\.weightDecay, weightDecay)
        set(\.adamBeta1, adamBeta1)
        set(\.adamBeta2, adamBeta2)
        set(\.adamEpsilon, adamEpsilon)
        set(\.sgdMomentum, sgdMomentum)
        set(\.sgdNesterov, sgdNesterov)
        c.loraPlusRatio = lorapLrRatio
        set(\.maxGradNorm, maxGradNorm)
        if let scheduler = try schedule.scheduler() { c.lrScheduler = scheduler }
        set(\.warmupSteps, warmupSteps)
        set(\.warmupRatio, warmupRatio)
        set(\.numTrainEpochs, numTrainEpochs)
        c.maxSteps = maxSteps
        set(\.batchSize, batchSize)
        c.gradientAccumulationSteps = gradientAccumulationSteps
        c.maxLength = maxLength
        set(\.truncationStrategy, truncationStrategy.flatMap(TruncationStrategy.init(rawValue:)))
        set(\.packing, packing)
        set(\.shuffle, shuffle)
        set(\.seed, seed)
        set(\.saveSteps, saveSteps)
        c.evalSteps = evalSteps
        set(\.loggingSteps, loggingSteps)
        set(\.gradientCheckpointing, gradientCheckpointing)
        set(\.skipNonFiniteSteps, skipNonfiniteSteps)
        do { try c.validate() } catch { throw OptionRange.commandLine(error) }
        return c
    }

    /// The adapter to train: ``LoRAConfiguration/trainingDefault`` overridden by the options given.
    var loraConfiguration: LoRAConfiguration {
        var l = LoRAConfiguration.trainingDefault
        if let loraRank { l.rank = loraRank }
        if let loraAlpha { l.alpha = loraAlpha }
        if let loraDropout { l.dropout = loraDropout }
        if let useRslora { l.useRSLoRA = useRslora }
        l.useDoRA = useDoRA
        let names = targetModules.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
        if !names.isEmpty && names != ["all-linear"] { l.targetModules = .names(names) }
        l.baseModelNameOrPath = model
        return l
    }
}

struct PretrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pt", abstract: "Continued pretraining: loss on every token.")
    @OptionGroup var options: TrainOptions
    func run() throws { try TrainingJob(options: options, objective: .language(.allTokens)).run() }
}

struct SFTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sft", abstract: "Supervised fine-tuning: loss on assistant tokens.")
    @OptionGroup var options: TrainOptions
    func run() throws { try TrainingJob(options: options, objective: .language(.assistantTokens)).run() }
}

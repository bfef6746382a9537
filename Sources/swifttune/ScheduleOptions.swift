import ArgumentParser
import Foundation
import SwiftTuneCore

/// The learning-rate schedule options of `pt` / `sft`: transformers' scheduler name, its keyword arguments as JSON
/// (ms-swift's `--lr_scheduler_kwargs '{"min_lr": 1e-6}'`), or the same arguments as separate options.
struct ScheduleOptions: ParsableArguments {
    @Option(help: ArgumentHelp("transformers' scheduler: \(LearningRateScheduler.names.joined(separator: ", ")) (default cosine).",
                               valueName: "name"))
    var lrScheduler: String?
    @Option(help: ArgumentHelp("The scheduler's keyword arguments as a JSON object (transformers' scheduler_specific_kwargs).",
                               valueName: "json"))
    var lrSchedulerKwargs: String?
    @Option(help: "cosine_with_min_lr: the floor as a fraction of the learning rate (min_lr_rate).") var minLrRate: Double?
    @Option(help: "cosine_with_min_lr: the floor as a learning rate (min_lr).") var minLr: Double?
    @Option(help: "cosine, cosine_with_restarts, cosine_with_min_lr, warmup_stable_decay: num_cycles.") var numCycles: Double?
    @Option(help: "polynomial: the final learning rate lr_end (default 1e-7).") var lrEnd: Double?
    @Option(help: "polynomial: the power (default 1).") var power: Double?
    @Option(help: "inverse_sqrt: the timescale (default the warmup steps, or 10000).") var timescale: Int?
    @Option(help: "warmup_stable_decay: steps of the decay phase (num_decay_steps, required).") var numDecaySteps: Int?
    @Option(help: "warmup_stable_decay: steps of the stable phase (default: the rest).") var numStableSteps: Int?
    @Option(help: "warmup_stable_decay: linear, cosine or 1-sqrt (default cosine).") var decayType: String?
    @Option(help: "warmup_stable_decay: linear, cosine or 1-sqrt (default linear).") var warmupType: String?
    @Option(help: "warmup_stable_decay: start and end as a fraction of the learning rate (min_lr_ratio, default 0).")
    var minLrRatio: Double?

    /// The scheduler the options describe, `nil` when they say nothing (the configuration's default stays).
    /// - Throws: `ValidationError` naming the option or the JSON key.
    func scheduler() throws -> LearningRateScheduler? {
        var kwargs: [String: LearningRateScheduler.Argument] = [:]
        if let text = lrSchedulerKwargs {
            do {
                kwargs = try JSONDecoder().decode([String: LearningRateScheduler.Argument].self, from: Data(text.utf8))
            } catch {
                throw ValidationError("--lr-scheduler-kwargs: expected a JSON object of numbers and strings, not \(text)")
            }
        }
        let options: [(String, String, LearningRateScheduler.Argument?)] = [
            ("--min-lr-rate", "min_lr_rate", minLrRate.map { .number($0) }),
            ("--min-lr", "min_lr", minLr.map { .number($0) }),
            ("--num-cycles", "num_cycles", numCycles.map { .number($0) }),
            ("--lr-end", "lr_end", lrEnd.map { .number($0) }),
            ("--power", "power", power.map { .number($0) }),
            ("--timescale", "timescale", timescale.map { .number(Double($0)) }),
            ("--num-decay-steps", "num_decay_steps", numDecaySteps.map { .number(Double($0)) }),
            ("--num-stable-steps", "num_stable_steps", numStableSteps.map { .number(Double($0)) }),
            ("--decay-type", "decay_type", decayType.map { .string($0) }),
            ("--warmup-type", "warmup_type", warmupType.map { .string($0) }),
            ("--min-lr-ratio", "min_lr_ratio", minLrRatio.map { .number($0) }),
        ]
        for (option, key, value) in options {
            guard let value else { continue }
            if kwargs[key] != nil { throw ValidationError("\(option) and --lr-scheduler-kwargs both set \(key)") }
            kwargs[key] = value
        }
        // Arguments without a name apply to the default scheduler (cosine), as in ms-swift.
        guard let name = lrScheduler ?? (kwargs.isEmpty ? nil : TrainingConfiguration().lrScheduler.name) else { return nil }
        do { return try LearningRateScheduler(name: name, kwargs: kwargs) } catch {
            throw ValidationError("--lr-scheduler \(name): \(error)")
        }
    }
}

import Foundation

/// Which learning-rate schedule a run uses, with its parameters: transformers' `SchedulerType` names
/// (`lr_scheduler_type`) and the keyword arguments of the matching `get_*_schedule` function
/// (`lr_scheduler_kwargs`, transformers' `scheduler_specific_kwargs`).
///
/// The schedule itself (the factor per step) is ``LearningRateSchedule``. In JSON (a `--config` file, a checkpoint's
/// `trainer_state.json`) a scheduler is two keys of ``TrainingConfiguration``, as ms-swift and transformers spell it:
///
///     "lr_scheduler_type": "cosine_with_min_lr", "lr_scheduler_kwargs": {"min_lr_rate": 0.1}
///
/// ```swift
/// let s = try LearningRateScheduler(name: "polynomial", kwargs: ["power": .number(2)])
/// // s == .polynomial(lrEnd: 1e-7, power: 2)
/// ```
public enum LearningRateScheduler: Sendable, Equatable {
    /// `constant` (`get_constant_schedule`): factor 1 at every step; **no warmup**, even when warmup steps or a
    /// warmup ratio are set (transformers' `get_scheduler` does not pass them).
    case constant
    /// `constant_with_warmup`: linear warmup from 0, then 1.
    case constantWithWarmup
    /// `linear`: linear warmup, then linear decay to 0 at the last step.
    case linear
    /// `cosine`: linear warmup, then `max(0, ½(1 + cos(π · 2·numCycles · progress)))` (default `num_cycles` 0.5: one
    /// half-cosine from 1 to 0).
    case cosine(numCycles: Double = 0.5)
    /// `cosine_with_restarts`: linear warmup, then `numCycles` half-cosines with hard restarts (default 1).
    case cosineWithRestarts(numCycles: Int = 1)
    /// `cosine_with_min_lr`: the cosine rescaled to end at a floor: `factor · (1 − r) + r` with r the floor as a
    /// fraction of the peak (`min_lr_rate`, or `min_lr / learning_rate`).
    case cosineWithMinLR(MinimumRate, numCycles: Double = 0.5)
    /// `polynomial`: linear warmup, then `((lr₀ − lr_end) · (1 − progress)^power + lr_end) / lr₀`; defaults
    /// `lr_end` 1e-7, `power` 1.0 (as transformers). Needs the peak rate above `lr_end`.
    case polynomial(lrEnd: Double = 1e-7, power: Double = 1)
    /// `inverse_sqrt`: linear warmup, then `1 / √((step + timescale − warmup) / timescale)`; `timescale` `nil` means
    /// transformers' default, the warmup steps or 10 000 when there is no warmup.
    case inverseSqrt(timescale: Int? = nil)
    /// `warmup_stable_decay` (`get_wsd_schedule`): warmup, a stable phase at 1, a decay phase, then `min_lr_ratio`.
    case warmupStableDecay(WarmupStableDecay)

    /// The floor of `cosine_with_min_lr`: exactly one of transformers' `min_lr_rate` and `min_lr`.
    public enum MinimumRate: Sendable, Equatable {
        /// `min_lr_rate`: the floor as a fraction of the peak learning rate.
        case rate(Double)
        /// `min_lr`: the floor as a learning rate (transformers divides it by the optimizer's `lr`).
        case absolute(Double)
    }

    /// The shape of one phase of ``warmupStableDecay(_:)`` (`warmup_type`, `decay_type`).
    public enum PhaseShape: String, Codable, Sendable, CaseIterable {
        case linear, cosine
        case oneMinusSqrt = "1-sqrt"
    }

    /// `get_wsd_schedule`'s parameters besides the warmup (which comes from the run's warmup steps or ratio).
    public struct WarmupStableDecay: Sendable, Equatable {
        /// `num_decay_steps` (required, as in transformers).
        public var numDecaySteps: Int
        /// `num_stable_steps`; `nil`: the total steps less warmup and decay (transformers' default).
        public var numStableSteps: Int?
        /// `warmup_type` (default linear).
        public var warmupType: PhaseShape
        /// `decay_type` (default cosine).
        public var decayType: PhaseShape
        /// `min_lr_ratio`: where warmup starts and decay ends, as a fraction of the peak (default 0).
        public var minLRRatio: Double
        /// `num_cycles` of a cosine decay (default 0.5).
        public var numCycles: Double

        public init(numDecaySteps: Int, numStableSteps: Int? = nil, warmupType: PhaseShape = .linear,
                    decayType: PhaseShape = .cosine, minLRRatio: Double = 0, numCycles: Double = 0.5) {
            self.numDecaySteps = numDecaySteps
            self.numStableSteps = numStableSteps
            self.warmupType = warmupType
            self.decayType = decayType
            self.minLRRatio = minLRRatio
            self.numCycles = numCycles
        }
    }

    /// transformers' `SchedulerType` value.
    public var name: String {
        switch self {
        case .constant: return "constant"
        case .constantWithWarmup: return "constant_with_warmup"
        case .linear: return "linear"
        case .cosine: return "cosine"
        case .cosineWithRestarts: return "cosine_with_restarts"
        case .cosineWithMinLR: return "cosine_with_min_lr"
        case .polynomial: return "polynomial"
        case .inverseSqrt: return "inverse_sqrt"
        case .warmupStableDecay: return "warmup_stable_decay"
        }
    }

    /// Every name ``init(name:kwargs:)`` accepts.
    public static let names = ["constant", "constant_with_warmup", "linear", "cosine", "cosine_with_restarts",
                               "cosine_with_min_lr", "polynomial", "inverse_sqrt", "warmup_stable_decay"]

    /// transformers' names that SwiftTune does not implement (named in the error).
    public static let unsupportedNames = ["reduce_lr_on_plateau", "cosine_warmup_with_min_lr", "greedy"]
}

import Foundation

/// Learning rate as a function of the optimizer step, computed as transformers' `get_scheduler` computes it
/// (transformers `optimization.py`; ``LearningRateScheduler`` lists the functions).
///
/// transformers wraps each schedule in `torch.optim.lr_scheduler.LambdaLR`, which sets the rate of every parameter
/// group to `base_lr · λ(t)`, and the Trainer calls `scheduler.step()` after each `optimizer.step()`. LambdaLR
/// evaluates λ(0) when it is constructed, so the first update uses λ(0), the second λ(1): `rate(at: 0)` is the first
/// update's rate. With warmup w ≥ 1, λ(t) = t / w for t < w (so the very first update has rate 0), except for
/// ``LearningRateScheduler/warmupStableDecay(_:)`` whose warmup starts at `min_lr_ratio`.
///
/// With T = `totalSteps`, w = `warmupSteps` and p = (t − w) / max(1, T − w):
///
///     linear:              max(0, (T − t) / max(1, T − w))
///     cosine:              max(0, ½(1 + cos(π · 2c · p)))                      c = num_cycles
///     cosine_with_min_lr:  max(0, ½(1 + cos(π · 2c · p)) · (1 − r) + r)        r = min_lr_rate
///     polynomial:          ((lr₀ − e) · (1 − (t − w) / (T − w))^k + e) / lr₀    e = lr_end, k = power; e / lr₀ past T
///     inverse_sqrt:        1 / √((t + s − w) / s)                               s = timescale
///
/// ```swift
/// let s = LearningRateSchedule(scheduler: .linear, peak: 1e-3, warmupSteps: 2, totalSteps: 10)
/// s.rate(at: 0)  // 0
/// s.rate(at: 1)  // 5e-4
/// s.rate(at: 2)  // 1e-3
/// ```
public struct LearningRateSchedule: Codable, Sendable, Equatable {
    public var scheduler: LearningRateScheduler
    /// The optimizer's learning rate (`base_lr`, `optimizer.defaults["lr"]`).
    public var peak: Double
    /// Warmup steps w (ignored by ``LearningRateScheduler/constant``).
    public var warmupSteps: Int
    /// Optimizer steps of the run T.
    public var totalSteps: Int

    public init(scheduler: LearningRateScheduler, peak: Double, warmupSteps: Int, totalSteps: Int) {
        self.scheduler = scheduler
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    /// The rate for step `step` (0-based: the rate used by the first update is `rate(at: 0)`): `peak · factor(at:)`.
    public func rate(at step: Int) -> Double { peak * factor(at: step) }

    /// λ(step), the multiplier LambdaLR applies to the peak rate.
    public func factor(at step: Int) -> Double {
        let t = step, w = warmupSteps, total = totalSteps
        func warmup() -> Double { Double(t) / Double(max(1, w)) }
        func progress() -> Double { Double(t - w) / Double(max(1, total - w)) }
        switch scheduler {
        case .constant:
            return 1
        case .constantWithWarmup:
            return t < w ? warmup() : 1
        case .linear:
            if t < w { return warmup() }
            return max(0, Double(total - t) / Double(max(1, total - w)))
        case let .cosine(cycles):
            if t < w { return warmup() }
            return max(0, 0.5 * (1 + cos(Double.pi * cycles * 2 * progress())))
        case let .cosineWithRestarts(cycles):
            if t < w { return warmup() }
            let p = progress()
            if p >= 1 { return 0 }
            return max(0, 0.5 * (1 + cos(Double.pi * (Double(cycles) * p).truncatingRemainder(dividingBy: 1))))
        case let .cosineWithMinLR(floor, cycles):
            if t < w { return warmup() }
            let r: Double
            switch floor {
            case let .rate(rate): r = rate
            case let .absolute(minimum): r = minimum / peak
            }
            let f = 0.5 * (1 + cos(Double.pi * cycles * 2 * progress()))
            return max(0, f * (1 - r) + r)
        case let .polynomial(end, power):
            if t < w { return warmup() }
            if t > total { return end / peak }
            let range = peak - end
            let remaining = 1 - Double(t - w) / Double(total - w)
            return (range * pow(remaining, power) + end) / peak
        case let .inverseSqrt(timescale):
            if t < w { return warmup() }
            let s = timescale ?? (w != 0 ? w : 10_000)
            return 1 / (Double(t + s - w) / Double(s)).squareRoot()
        case let .warmupStableDecay(p):
            return Self.warmupStableDecayFactor(p, step: t, warmupSteps: w, totalSteps: total)
        }
    }

    /// transformers' `_get_wsd_scheduler_lambda`.
    static func warmupStableDecayFactor(_ p: LearningRateScheduler.WarmupStableDecay, step t: Int, warmupSteps w: Int,
                                        totalSteps: Int) -> Double {
        let stable = p.numStableSteps ?? (totalSteps - w - p.numDecaySteps)
        let m = p.minLRRatio
        if t < w {
            let x = Double(t) / Double(max(1, w))
            let f: Double
            switch p.warmupType {
            case .linear: f = x
            case .cosine: f = 0.5 * (1 - cos(Double.pi * x))
            case .oneMinusSqrt: f = 1 - (1 - x).squareRoot()
            }
            return max(0, f * (1 - m) + m)
        }
        if t < w + stable { return 1 }
        if t < w + stable + p.numDecaySteps {
            let x = Double(t - w - stable) / Double(max(1, p.numDecaySteps))
            let f: Double
            switch p.decayType {
            case .linear: f = 1 - x
            case .cosine: f = 0.5 * (1 + cos(Double.pi * p.numCycles * 2 * x))
            case .oneMinusSqrt: f = 1 - x.squareRoot()
            }
            return max(0, f * (1 - m) + m)
        }
        return m
    }
}

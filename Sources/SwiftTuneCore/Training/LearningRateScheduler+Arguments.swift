import Foundation

/// A scheduler name or keyword argument that transformers' `get_scheduler` would refuse.
public enum LearningRateSchedulerError: Error, CustomStringConvertible, Equatable {
    /// `lr_scheduler_type` is not a transformers `SchedulerType` name.
    case unknownName(String)
    /// A transformers name that SwiftTune does not implement.
    case unsupportedName(String)
    /// `lr_scheduler_kwargs` holds a key the scheduler does not take (transformers: a `TypeError`).
    case unexpectedArgument(scheduler: String, key: String, accepted: [String])
    /// A key the scheduler needs is missing (`num_decay_steps` for `warmup_stable_decay`, a floor for
    /// `cosine_with_min_lr`).
    case missingArgument(scheduler: String, key: String)
    /// A value of the wrong type or range.
    case invalidValue(scheduler: String, key: String, value: String, reason: String)

    public var description: String {
        switch self {
        case let .unknownName(name):
            return "lr_scheduler_type '\(name)' is not one of \(LearningRateScheduler.names.joined(separator: ", "))"
        case let .unsupportedName(name):
            return "lr_scheduler_type '\(name)' (a transformers scheduler) is not supported by SwiftTune; use one of "
                + LearningRateScheduler.names.joined(separator: ", ")
        case let .unexpectedArgument(scheduler, key, accepted):
            return "lr_scheduler_kwargs: \(scheduler) takes no '\(key)'"
                + (accepted.isEmpty ? " (it takes no arguments)" : " (it takes \(accepted.joined(separator: ", ")))")
        case let .missingArgument(scheduler, key):
            return "lr_scheduler_kwargs: \(scheduler) needs '\(key)'"
        case let .invalidValue(scheduler, key, value, reason):
            return "lr_scheduler_kwargs: \(scheduler) '\(key)' = \(value): \(reason)"
        }
    }
}

extension LearningRateScheduler {
    /// One value of `lr_scheduler_kwargs`: a number or a string (`decay_type`).
    public enum Argument: Codable, Sendable, Equatable, CustomStringConvertible {
        case number(Double)
        case string(String)

        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let n = try? c.decode(Double.self) { self = .number(n) } else { self = .string(try c.decode(String.self)) }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case let .number(n):
                if n == n.rounded(), Swift.abs(n) < 1e15 { try c.encode(Int(n)) } else { try c.encode(n) }
            case let .string(s): try c.encode(s)
            }
        }

        public var description: String {
            switch self {
            case let .number(n): return "\(n)"
            case let .string(s): return "\"\(s)\""
            }
        }
    }

    /// The keyword arguments each scheduler takes (transformers' signatures, less the optimizer, warmup and total).
    public static func acceptedArguments(_ name: String) -> [String] {
        switch name {
        case "cosine": return ["num_cycles"]
        case "cosine_with_restarts": return ["num_cycles"]
        case "cosine_with_min_lr": return ["min_lr", "min_lr_rate", "num_cycles"]
        case "polynomial": return ["lr_end", "power"]
        case "inverse_sqrt": return ["timescale"]
        case "warmup_stable_decay":
            return ["decay_type", "min_lr_ratio", "num_cycles", "num_decay_steps", "num_stable_steps", "warmup_type"]
        default: return []
        }
    }

    /// A scheduler from its transformers name and `lr_scheduler_kwargs`, with transformers' defaults for what is not
    /// given.
    /// - Throws: ``LearningRateSchedulerError`` naming the name or key.
    public init(name: String, kwargs: [String: Argument] = [:]) throws {
        guard LearningRateScheduler.names.contains(name) else {
            throw LearningRateScheduler.unsupportedNames.contains(name)
                ? LearningRateSchedulerError.unsupportedName(name) : LearningRateSchedulerError.unknownName(name)
        }
        let accepted = LearningRateScheduler.acceptedArguments(name)
        if let key = kwargs.keys.sorted().first(where: { !accepted.contains($0) }) {
            throw LearningRateSchedulerError.unexpectedArgument(scheduler: name, key: key, accepted: accepted)
        }
        func number(_ key: String) throws -> Double? {
            guard let value = kwargs[key] else { return nil }
            guard case let .number(n) = value, n.isFinite else {
                throw LearningRateSchedulerError.invalidValue(scheduler: name, key: key, value: value.description, reason: "expected a number")
            }
            return n
        }
        /// A number in `range`: a negative floor, end or power makes the learning rate negative or unbounded
        /// (transformers does not check; the run would silently stop learning or diverge).
        func number(_ key: String, in range: ClosedRange<Double>) throws -> Double? {
            guard let n = try number(key) else { return nil }
            guard range.contains(n) else {
                let allowed = range.upperBound == .greatestFiniteMagnitude ? "must be ≥ \(range.lowerBound)"
                    : "must be in [\(range.lowerBound), \(range.upperBound)]"
                throw LearningRateSchedulerError.invalidValue(scheduler: name, key: key, value: "\(n)", reason: allowed)
            }
            return n
        }
        let nonNegative = 0...Double.greatestFiniteMagnitude
        func integer(_ key: String) throws -> Int? {
            guard let n = try number(key) else { return nil }
            guard n == n.rounded(), n >= 0, n < 1e15 else {
                throw LearningRateSchedulerError.invalidValue(scheduler: name, key: key, value: "\(n)", reason: "expected a whole number ≥ 0")
            }
            return Int(n)
        }
        func shape(_ key: String, default d: PhaseShape) throws -> PhaseShape {
            guard let value = kwargs[key] else { return d }
            guard case let .string(s) = value, let shape = PhaseShape(rawValue: s) else {
                throw LearningRateSchedulerError.invalidValue(scheduler: name, key: key, value: value.description,
                                                              reason: "expected 'linear', 'cosine' or '1-sqrt'")
            }
            return shape
        }
        switch name {
        case "constant": self = .constant
        case "constant_with_warmup": self = .constantWithWarmup
        case "linear": self = .linear
        case "cosine": self = .cosine(numCycles: try number("num_cycles") ?? 0.5)
        case "cosine_with_restarts": self = .cosineWithRestarts(numCycles: try integer("num_cycles") ?? 1)
        case "cosine_with_min_lr":
            let (rate, absolute) = (try number("min_lr_rate", in: 0...1), try number("min_lr", in: nonNegative))
            let cycles = try number("num_cycles") ?? 0.5
            switch (rate, absolute) {
            case let (r?, nil): self = .cosineWithMinLR(.rate(r), numCycles: cycles)
            case let (nil, m?): self = .cosineWithMinLR(.absolute(m), numCycles: cycles)
            case (nil, nil): throw LearningRateSchedulerError.missingArgument(scheduler: name, key: "min_lr_rate' or 'min_lr")
            case (_?, _?):
                throw LearningRateSchedulerError.invalidValue(scheduler: name, key: "min_lr", value: "\(absolute!)",
                                                              reason: "only one of min_lr and min_lr_rate may be set")
            }
        case "polynomial": self = .polynomial(lrEnd: try number("lr_end", in: nonNegative) ?? 1e-7,
                                              power: try number("power", in: nonNegative) ?? 1)
        case "inverse_sqrt":
            let timescale = try integer("timescale")
            if timescale == 0 {
                throw LearningRateSchedulerError.invalidValue(scheduler: name, key: "timescale", value: "0", reason: "must be positive")
            }
            self = .inverseSqrt(timescale: timescale)
        default:
            guard let decay = try integer("num_decay_steps") else {
                throw LearningRateSchedulerError.missingArgument(scheduler: name, key: "num_decay_steps")
            }
            self = .warmupStableDecay(WarmupStableDecay(
                numDecaySteps: decay, numStableSteps: try integer("num_stable_steps"),
                warmupType: try shape("warmup_type", default: .linear), decayType: try shape("decay_type", default: .cosine),
                minLRRatio: try number("min_lr_ratio", in: 0...1) ?? 0, numCycles: try number("num_cycles") ?? 0.5))
        }
    }

    /// The keyword arguments that rebuild this scheduler with ``init(name:kwargs:)`` (every parameter written, so a
    /// checkpoint does not depend on default values).
    public var kwargs: [String: Argument] {
        switch self {
        case .constant, .constantWithWarmup, .linear: return [:]
        case let .cosine(cycles): return ["num_cycles": .number(cycles)]
        case let .cosineWithRestarts(cycles): return ["num_cycles": .number(Double(cycles))]
        case let .cosineWithMinLR(.rate(r), cycles): return ["min_lr_rate": .number(r), "num_cycles": .number(cycles)]
        case let .cosineWithMinLR(.absolute(m), cycles): return ["min_lr": .number(m), "num_cycles": .number(cycles)]
        case let .polynomial(end, power): return ["lr_end": .number(end), "power": .number(power)]
        case let .inverseSqrt(timescale): return timescale.map { ["timescale": .number(Double($0))] } ?? [:]
        case let .warmupStableDecay(w):
            var out: [String: Argument] = [
                "num_decay_steps": .number(Double(w.numDecaySteps)), "warmup_type": .string(w.warmupType.rawValue),
                "decay_type": .string(w.decayType.rawValue), "min_lr_ratio": .number(w.minLRRatio),
                "num_cycles": .number(w.numCycles),
            ]
            if let stable = w.numStableSteps { out["num_stable_steps"] = .number(Double(stable)) }
            return out
        }
    }

    /// Checks what transformers checks when it builds the schedule for a peak learning rate.
    /// - Throws: ``LearningRateSchedulerError/invalidValue(scheduler:key:value:reason:)``.
    public func validate(peak: Double) throws {
        switch self {
        case let .polynomial(end, _) where !(peak > end):
            throw LearningRateSchedulerError.invalidValue(scheduler: name, key: "lr_end", value: "\(end)",
                                                          reason: "must be smaller than the learning rate \(peak)")
        case .cosineWithMinLR(.absolute, _) where !(peak > 0):
            throw LearningRateSchedulerError.invalidValue(scheduler: name, key: "min_lr", value: "\(kwargs["min_lr"]!)",
                                                          reason: "needs a learning rate > 0 to divide by")
        default: return
        }
    }
}

extension LearningRateScheduler: Codable {
    enum CodingKeys: String, CodingKey {
        case name = "lr_scheduler_type", kwargs = "lr_scheduler_kwargs"
    }

    /// `{"lr_scheduler_type": "polynomial", "lr_scheduler_kwargs": {"lr_end": 1e-7, "power": 1}}`, as ms-swift and
    /// transformers name the two arguments (``TrainingConfiguration`` writes the same two keys among its own).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let name = try c.decode(String.self, forKey: .name)
        try self.init(name: name, kwargs: c.decodeIfPresent([String: Argument].self, forKey: .kwargs) ?? [:])
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(kwargs, forKey: .kwargs)
    }
}

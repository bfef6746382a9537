/// The built-in rewards by their `--reward-funcs` names.
///
/// | name | reward | needs |
/// |---|---|---|
/// | `accuracy` | ``AccuracyReward`` | `solution` |
/// | `format` | ``FormatReward`` | |
/// | `cosine` | ``CosineReward`` | `solution`, `cosine_max_len` or `max_completion_length` |
/// | `repetition` | ``RepetitionReward`` | |
/// | `soft_overlong` | ``SoftOverlongReward`` | `soft_cache_length`, `soft_max_length` or `max_completion_length` |
/// | `bleu` | ``BLEUReward`` | `solution` |
/// | `chrf` | ``CHRFReward`` | `solution` |
/// | `exact_match` | ``ExactMatchReward`` | `solution` |
/// | `length` | ``LengthReward`` | |
public enum RewardRegistry {
    /// Every built-in name.
    public static let names = ["accuracy", "format", "cosine", "repetition", "soft_overlong", "bleu", "chrf",
                               "exact_match", "length"]

    /// The built-in reward called `name`.
    /// - Throws: ``RewardError/unknownFunction(name:known:)``, or ``RewardError/invalidOption(name:value:requirement:)``
    ///   naming the option a reward is missing or has out of range.
    public static func make(_ name: String, options: RewardOptions = RewardOptions()) throws -> any RewardFunction {
        func positive(_ value: Int?, _ option: String) throws -> Int {
            guard let value, value >= 1 else {
                throw RewardError.invalidOption(name: option, value: value.map { "\($0)" } ?? "unset",
                                                requirement: "≥ 1 (reward '\(name)' needs it; it defaults to max_completion_length)")
            }
            return value
        }
        switch name {
        case "accuracy": return AccuracyReward()
        case "format": return FormatReward()
        case "cosine":
            return try CosineReward(maxLength: try positive(options.cosineMaxLen ?? options.maxCompletionLength, "cosine_max_len"),
                                minLenValueWrong: options.cosineMinLenValueWrong,
                                maxLenValueWrong: options.cosineMaxLenValueWrong,
                                minLenValueCorrect: options.cosineMinLenValueCorrect,
                                maxLenValueCorrect: options.cosineMaxLenValueCorrect)
        case "repetition":
            return try RepetitionReward(ngramSize: options.repetitionNGrams, maxPenalty: options.repetitionMaxPenalty)
        case "soft_overlong":
            let maxLength = try positive(options.softMaxLength ?? options.maxCompletionLength, "soft_max_length")
            guard let cache = options.softCacheLength else {
                throw RewardError.invalidOption(name: "soft_cache_length", value: "unset",
                                                requirement: "set, > 0 and < soft_max_length (\(maxLength))")
            }
            return try SoftOverlongReward(maxLength: maxLength, cacheLength: cache)
        case "bleu": return BLEUReward()
        case "chrf": return CHRFReward()
        case "exact_match": return ExactMatchReward()
        case "length": return LengthReward()
        default: throw RewardError.unknownFunction(name: name, known: names)
        }
    }

    /// The rewards of a `--reward-funcs` list, in order.
    public static func make(names list: [String], options: RewardOptions = RewardOptions()) throws -> [any RewardFunction] {
        try list.map { try make($0, options: options) }
    }

    /// Scores a batch with every reward: `[N][F]`, one row per input, ready for ``GRPOAdvantages``.
    /// - Throws: the first reward's error, or ``RewardError/scoreCount(reward:expected:got:)`` when a reward
    ///   returns a different number of scores than inputs.
    public static func score(_ inputs: [RewardInput], with rewards: [any RewardFunction]) throws -> [[Double?]] {
        var rows = [[Double?]](repeating: [], count: inputs.count)
        for reward in rewards {
            let scores = try reward.scores(for: inputs)
            guard scores.count == inputs.count else {
                throw RewardError.scoreCount(reward: reward.name, expected: inputs.count, got: scores.count)
            }
            for i in inputs.indices { rows[i].append(scores[i]) }
        }
        return rows
    }
}

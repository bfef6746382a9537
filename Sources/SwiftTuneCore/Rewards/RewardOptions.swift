/// The options of the built-in rewards (ms-swift's argument names and defaults).
public struct RewardOptions: Sendable, Equatable {
    /// `max_completion_length`: the default of `cosine_max_len` and `soft_max_length`.
    public var maxCompletionLength: Int?
    /// `cosine_min_len_value_wrong` (−0.5), `cosine_max_len_value_wrong` (0), `cosine_min_len_value_correct` (1),
    /// `cosine_max_len_value_correct` (0.5).
    public var cosineMinLenValueWrong = -0.5, cosineMaxLenValueWrong = 0.0
    public var cosineMinLenValueCorrect = 1.0, cosineMaxLenValueCorrect = 0.5
    /// `cosine_max_len` (nil = `max_completion_length`).
    public var cosineMaxLen: Int?
    /// `repetition_n_grams` (3).
    public var repetitionNGrams = 3
    /// `repetition_max_penalty` (−1).
    public var repetitionMaxPenalty = -1.0
    /// `soft_max_length` (nil = `max_completion_length`).
    public var softMaxLength: Int?
    /// `soft_cache_length` (required by `soft_overlong`).
    public var softCacheLength: Int?

    /// Options with ms-swift's defaults.
    public init(maxCompletionLength: Int? = nil) { self.maxCompletionLength = maxCompletionLength }
}

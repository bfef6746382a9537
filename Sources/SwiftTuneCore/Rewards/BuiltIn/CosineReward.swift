import Foundation

/// `cosine`: a length-dependent reward on a cosine schedule, higher for short correct and long wrong completions
/// (ms-swift's `CosineReward`, arXiv 2502.03373). With L = the completion's token count, L_max = `cosine_max_len`:
///
///     f(L; lo, hi) = hi − (hi − lo) · (1 − cos(π L / L_max)) / 2
///     correct (accuracy ≥ 1):  f(L; max_len_value_correct, min_len_value_correct)
///     wrong:                   f(L; max_len_value_wrong,  min_len_value_wrong)
///
/// Correctness is ``AccuracyReward``'s (needs `solution`).
public struct CosineReward: RewardFunction {
    public var name: String { "cosine" }
    /// r(0) and r(L_max) for wrong and correct completions.
    public var minLenValueWrong, maxLenValueWrong, minLenValueCorrect, maxLenValueCorrect: Double
    /// L_max.
    public var maxLength: Int

    /// The cosine reward (ms-swift's defaults −0.5, 0, 1, 0.5).
    /// - Throws: ``RewardError/invalidOption(name:value:requirement:)`` for `cosine_max_len` < 1 or a value that
    ///   is not finite.
    public init(maxLength: Int, minLenValueWrong: Double = -0.5, maxLenValueWrong: Double = 0,
                minLenValueCorrect: Double = 1, maxLenValueCorrect: Double = 0.5) throws {
        guard maxLength >= 1 else {
            throw RewardError.invalidOption(name: "cosine_max_len", value: "\(maxLength)", requirement: "≥ 1")
        }
        for (option, value) in [("cosine_min_len_value_wrong", minLenValueWrong), ("cosine_max_len_value_wrong", maxLenValueWrong),
                                ("cosine_min_len_value_correct", minLenValueCorrect),
                                ("cosine_max_len_value_correct", maxLenValueCorrect)] where !value.isFinite {
            throw RewardError.invalidOption(name: option, value: "\(value)", requirement: "finite")
        }
        self.maxLength = maxLength
        self.minLenValueWrong = minLenValueWrong
        self.maxLenValueWrong = maxLenValueWrong
        self.minLenValueCorrect = minLenValueCorrect
        self.maxLenValueCorrect = maxLenValueCorrect
    }

    /// - Throws: ``RewardError`` when a row has no string `solution`.
    public func scores(for inputs: [RewardInput]) throws -> [Double?] {
        try inputs.enumerated().map { i, input in
            let acc = AccuracyReward.score(completion: input.completion,
                                           solution: try input.string("solution", reward: name, row: i))
            let correct = acc >= 1
            let lo = correct ? maxLenValueCorrect : maxLenValueWrong, hi = correct ? minLenValueCorrect : minLenValueWrong
            let t = Double(input.completionIDs.count), T = Double(maxLength)
            return hi - (hi - lo) * (1 - Foundation.cos(t * Double.pi / T)) / 2
        }
    }
}

/// `chrf`: sacrebleu's `sentence_chrf(completion, references).score` (0…100) against the row's `solution`
/// (a string, or an array of reference strings). Formula in ``SacreBLEU``.
public struct CHRFReward: RewardFunction {
    public var name: String { "chrf" }

    /// The chrF reward.
    public init() {}

    /// - Throws: ``RewardError`` when a row has no `solution` string or string array.
    public func scores(for inputs: [RewardInput]) throws -> [Double?] {
        try inputs.enumerated().map { i, input in
            SacreBLEU.sentenceCHRF(input.completion, references: try input.references("solution", reward: name, row: i))
        }
    }
}

/// `bleu`: sacrebleu's `sentence_bleu(completion, references).score` (0…100) against the row's `solution`
/// (a string, or an array of reference strings). Formula in ``SacreBLEU``.
public struct BLEUReward: RewardFunction {
    public var name: String { "bleu" }

    /// The BLEU reward.
    public init() {}

    /// - Throws: ``RewardError`` when a row has no `solution` string or string array.
    public func scores(for inputs: [RewardInput]) throws -> [Double?] {
        try inputs.enumerated().map { i, input in
            SacreBLEU.sentenceBLEU(input.completion, references: try input.references("solution", reward: name, row: i))
        }
    }
}

/// `exact_match`: 1 when the completion equals the row's `solution` (or one of them, for an array) after
/// stripping surrounding whitespace (Python's `str.strip()`), code point for code point; else 0.
public struct ExactMatchReward: RewardFunction {
    public var name: String { "exact_match" }

    /// The exact-match reward.
    public init() {}

    /// - Throws: ``RewardError`` when a row has no `solution` string or string array.
    public func scores(for inputs: [RewardInput]) throws -> [Double?] {
        try inputs.enumerated().map { i, input in
            let got = Array(PythonText.strip(input.completion).unicodeScalars)
            let refs = try input.references("solution", reward: name, row: i)
            return refs.contains { Array(PythonText.strip($0).unicodeScalars) == got } ? 1 : 0
        }
    }
}

import SwiftTuneCore

/// A custom GRPO reward: how close a completion's length (in characters) is to its reference translation's,
/// 1 for the same length falling linearly to 0 at twice (or half) of it. Rows without a `solution` column are not
/// scored (nil), which GRPO leaves out of this reward's metrics.
struct ReferenceLengthReward: RewardFunction {
    var name: String { "reference_length" }

    func scores(for inputs: [RewardInput]) throws -> [Double?] {
        inputs.map { input in
            guard let reference = input.columns["solution"]?.stringValue, !reference.isEmpty else { return nil }
            let ratio = Double(input.completion.count) / Double(reference.count)
            return max(0, 1 - abs(1 - ratio))
        }
    }
}

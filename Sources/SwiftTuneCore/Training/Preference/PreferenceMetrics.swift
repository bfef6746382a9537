/// The reward metrics every paired preference loss logs, under TRL's names.
enum PreferenceMetrics {
    /// `rewards/chosen`, `rewards/rejected`, `rewards/accuracies` (fraction with chosen > rejected),
    /// `rewards/margins`, `logps/chosen`, `logps/rejected`: means over the pairs.
    static func pairwise(chosenRewards: [Double], rejectedRewards: [Double], chosenLogps: [Double],
                         rejectedLogps: [Double]) -> [String: Double] {
        func mean(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count) }
        let n = chosenRewards.count
        return [
            "rewards/chosen": mean(chosenRewards),
            "rewards/rejected": mean(rejectedRewards),
            "rewards/accuracies": mean((0..<n).map { chosenRewards[$0] > rejectedRewards[$0] ? 1 : 0 }),
            "rewards/margins": mean((0..<n).map { chosenRewards[$0] - rejectedRewards[$0] }),
            "logps/chosen": mean(chosenLogps),
            "logps/rejected": mean(rejectedLogps),
        ]
    }
}

extension Tensor where Scalar: TensorScalar {
    /// The values as `Double`s.
    var doubleValues: [Double] { scalars.map(\.doubleValue) }
}

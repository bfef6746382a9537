/// `length`: the completion's length in tokens (weight it with `--reward-weights`, negative to prefer short
/// completions; group normalisation makes the scale irrelevant when it is the only reward).
public struct LengthReward: RewardFunction {
    public var name: String { "length" }

    /// The length reward.
    public init() {}

    public func scores(for inputs: [RewardInput]) throws -> [Double?] {
        inputs.map { Double($0.completionIDs.count) }
    }
}

/// A micro-batch of preference data that cannot be built.
public enum PreferenceBatchError: Error, CustomStringConvertible, Equatable {
    /// No pair or example in the micro-batch.
    case empty
    /// KTO with one example per micro-batch: the mismatched completion for the KL estimate would be the row's own
    /// completion, so the KL term would equal the implied reward (ms-swift refuses a total batch of one likewise).
    case ktoBatchOfOne

    public var description: String {
        switch self {
        case .empty: return "a preference micro-batch needs at least one pair or example"
        case .ktoBatchOfOne:
            return "KTO needs at least 2 examples per micro-batch: its KL estimate pairs each prompt with the previous example's completion, and with one example that is its own completion (the KL term would equal the implied reward); raise --batch-size"
        }
    }
}

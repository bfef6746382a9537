/// A reward for GRPO: scores a batch of completions.
///
/// The built-in rewards (``RewardRegistry``) and the external scorer (``RewardCommand``) conform; so can any
/// type of a library user:
///
/// ```swift
/// struct MentionsParis: RewardFunction {
///     var name: String { "mentions_paris" }
///     func scores(for inputs: [RewardInput]) throws -> [Double?] {
///         inputs.map { $0.completion.contains("Paris") ? 1 : 0 }
///     }
/// }
/// ```
public protocol RewardFunction: Sendable {
    /// The name in metrics (`rewards/<name>/mean`) and `--reward-funcs`.
    var name: String { get }
    /// One score per input, in order; `nil` = not scored (left out of this function's metrics and counted as 0
    /// in the weighted sum, as ms-swift's `nansum` does).
    /// - Throws: ``RewardError`` (or the conformer's own error) for a row it cannot score, for example a missing
    ///   column.
    func scores(for inputs: [RewardInput]) throws -> [Double?]
}

// Provisional (slice A2) until slice A1's srv-sampler branch merges; replaced by A1's definition then.

/// A token and its log-probability under the raw logits.
public struct TokenLogprob: Sendable, Equatable, Codable {
    public var token: Int
    public var logprob: Float

    public init(token: Int, logprob: Float) {
        self.token = token
        self.logprob = logprob
    }
}

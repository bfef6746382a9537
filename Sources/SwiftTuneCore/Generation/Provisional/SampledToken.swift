// Provisional (slice A2) until slice A1's srv-sampler branch merges; replaced by A1's definition then.

/// The token a sampler chose, with its log-probability and the most likely alternatives.
public struct SampledToken: Sendable, Equatable {
    public var token: Int
    /// log-softmax of the raw logits at ``token``.
    public var logprob: Float
    /// The k most likely tokens under the raw logits, best first.
    public var topLogprobs: [TokenLogprob]

    public init(token: Int, logprob: Float, topLogprobs: [TokenLogprob]) {
        self.token = token
        self.logprob = logprob
        self.topLogprobs = topLogprobs
    }
}

/// The token ``TokenSampler/sample(_:topLogprobs:)`` chose, with the log-probabilities OpenAI's API returns.
public struct SampledToken: Sendable, Equatable {
    /// The chosen token id, in `0..<V`.
    public var token: Int
    /// `log softmax(z)[token]` of the RAW logits `z` (before penalties, temperature and truncation): vLLM's default
    /// (`logprobs_mode = raw_logprobs`) and the meaning of OpenAI's `logprobs`. With greedy decoding and no
    /// penalties this is the largest log-probability of the step.
    public var logprob: Float
    /// The k most likely tokens under the raw logits, best first (ties: lower id first); k is the count asked of
    /// ``TokenSampler/sample(_:topLogprobs:)``, at most `V`. The chosen token may or may not be among them.
    public var topLogprobs: [TokenLogprob]

    public init(token: Int, logprob: Float, topLogprobs: [TokenLogprob] = []) {
        self.token = token
        self.logprob = logprob
        self.topLogprobs = topLogprobs
    }
}

/// A token id with its log-probability under the raw logits of one step.
///
/// `logprob = zᵢ − log Σⱼ exp(zⱼ)` for the model's logits `z` (`[V]`) before any penalty, temperature or truncation,
/// as vLLM reports log-probs by default and as OpenAI's `logprobs` / `top_logprobs` mean them.
public struct TokenLogprob: Sendable, Equatable, Codable {
    /// The token id, in `0..<V`.
    public var token: Int
    /// Its log-probability, ≤ 0 (−∞ for a token whose logit is −∞ or NaN).
    public var logprob: Float

    public init(token: Int, logprob: Float) {
        self.token = token
        self.logprob = logprob
    }
}

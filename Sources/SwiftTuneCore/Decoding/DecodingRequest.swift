/// One row to generate: its prompt, how many tokens at most, its own sampling settings (seed included) and stop
/// ids, how many alternatives to report per token, and the adapter it runs with.
public struct DecodingRequest: Sendable {
    /// Token ids of the prompt (at least one, each in the vocabulary).
    public var prompt: [Int]
    /// The most tokens to generate (≥ 1); reaching it ends the row with ``FinishReason/length``.
    public var maxNewTokens: Int
    /// Temperature, top-k / top-p / min-p, penalties and the seed of this row's own random stream.
    public var sampling: SamplingOptions
    /// Ids that end the row with ``FinishReason/stop`` (the stop id is reported in its event).
    public var stopTokens: Set<Int>
    /// How many most-likely alternatives to report with each token (0...20, OpenAI's `top_logprobs`).
    public var topLogprobs: Int
    /// The ``AdapterBank`` adapter this row uses, by name; `nil`: the base model.
    public var adapter: String?

    public init(prompt: [Int], maxNewTokens: Int, sampling: SamplingOptions = .greedy, stopTokens: Set<Int> = [],
                topLogprobs: Int = 0, adapter: String? = nil) {
        self.prompt = prompt
        self.maxNewTokens = maxNewTokens
        self.sampling = sampling
        self.stopTokens = stopTokens
        self.topLogprobs = topLogprobs
        self.adapter = adapter
    }
}

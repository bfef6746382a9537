/// One row's sampler: its own seeded random stream (`RandomGenerator(seed: options.seed)`) and its own history
/// (prompt + generated, for repetition/presence/frequency penalties), so a row's tokens never depend on other rows.
///
/// Each call of ``sample(_:topLogprobs:)`` takes the row's logits `z` (`[V]`) and applies, in transformers' order
/// (`GenerationMixin._get_logits_processor`), with vLLM's penalty formulas (`apply_penalties`):
///
/// 1. **Repetition penalty** ρ on every token of the prompt or generated so far: `zᵢ ← zᵢ / ρ` if `zᵢ > 0`, else
///    `zᵢ ← zᵢ · ρ`.
/// 2. **Frequency and presence penalties** on the generated tokens only (OpenAI's definition), with `cᵢ` the number
///    of times token i was generated: `zᵢ ← zᵢ − frequency · cᵢ`, then `zᵢ ← zᵢ − presence · [cᵢ > 0]`.
/// 3. **Greedy** when `temperature == 0`: the argmax of the penalised logits (ties → lowest id); no random value
///    is drawn and the remaining steps are skipped.
/// 4. **Temperature** τ: `pᵢ ∝ exp(zᵢ / τ)`.
/// 5. **Top-k**: keep the tokens whose logit is ≥ the k-th largest (ties at the k-th are kept, as in transformers).
/// 6. **Top-p**: with the kept tokens sorted by probability, descending (ties: lower id first), keep each token
///    whose predecessors' mass is < p of the kept mass — the smallest prefix whose mass reaches p.
/// 7. **Min-p**: keep the tokens with `pᵢ ≥ min_p · maxⱼ pⱼ`.
/// 8. **Draw**: one uniform `u ∈ [0, 1)` from the row's stream; the kept tokens in increasing id order, the first
///    whose cumulative renormalised probability exceeds `u` is the token.
///
/// None of the steps sorts the vocabulary: top-k uses a k-element heap, top-p finds its cut by radix selection
/// (two 256-bucket histograms of probability mass over the floats' bit patterns) and sorts only the tokens of the
/// final bucket, min-p is a threshold, and plain temperature sampling is one inverse-CDF pass. The history is kept
/// incrementally (a set of seen ids and a count per generated id), so a step costs O(V + distinct tokens).
///
/// The sampler owns scratch buffers of at most `2·V` floats, allocated on the first call and reused.
///
/// Logits that are NaN count as −∞. A row whose (penalised) maximum is not finite — every logit −∞, or some +∞ —
/// takes the greedy choice, so no input makes the sampler trap.
public struct TokenSampler: Sendable {
    /// The options this sampler applies (checked by ``SamplingOptions/validate()``).
    public let options: SamplingOptions
    /// The row's random stream; one value is drawn per sampled token when `temperature > 0`.
    public private(set) var generator: RandomGenerator
    /// The number of tokens recorded so far (sampled by this sampler).
    public private(set) var generatedCount = 0
    /// Distinct ids of the prompt and of the generated tokens (repetition penalty; empty when it is 1).
    private(set) var seen: Set<Int> = []
    /// How often each id was generated (presence and frequency penalties; empty when both are 0).
    private(set) var generatedCounts: [Int: Int] = [:]
    var scratch = SamplerScratch()

    /// A sampler for one row.
    /// - Parameters:
    ///   - options: the row's sampling options; its `seed` starts the row's random stream.
    ///   - prompt: the row's prompt ids (they count for the repetition penalty, not for presence/frequency).
    /// - Throws: ``ModelInputError/invalidGenerationSetting(name:value:requirement:)`` for options outside their
    ///   ranges (``SamplingOptions/validate()``).
    public init(options: SamplingOptions, prompt: [Int]) throws {
        try options.validate()
        self.options = options
        generator = RandomGenerator(seed: options.seed)
        if options.repetitionPenalty != 1 { seen = Set(prompt) }
    }

    /// Chooses the next token from one row of logits `[V]` and records it in the row's history.
    ///
    /// - Parameters:
    ///   - logits: the row's raw logits, `V` floats.
    ///   - topLogprobs: how many of the most likely tokens (under the raw logits) to report, clamped to `0...V`.
    /// - Returns: the token, its raw log-probability and the `topLogprobs` best tokens. An empty row (`V == 0`)
    ///   gives token 0 with log-prob −∞ and records nothing.
    public mutating func sample(_ logits: UnsafeBufferPointer<Float>, topLogprobs: Int = 0) -> SampledToken {
        guard !logits.isEmpty else { return SampledToken(token: 0, logprob: -.infinity) }
        let logSumExp = Self.logSumExp(logits)
        let u = options.temperature == 0 ? 0 : nextUniform()
        let token = choose(logits, uniform: u)
        record(token)
        let raw = logits[token].isNaN ? -Float.infinity : logits[token]
        return SampledToken(token: token, logprob: raw - logSumExp,
                            topLogprobs: Self.topLogprobs(logits, count: topLogprobs, logSumExp: logSumExp))
    }

    /// The next uniform number in [0, 1) of the row's stream (53 random bits).
    mutating func nextUniform() -> Double {
        Double(generator.next() >> 11) * 0x1p-53
    }

    /// Adds a generated token to the history the penalties read.
    mutating func record(_ token: Int) {
        generatedCount += 1
        if options.repetitionPenalty != 1 { seen.insert(token) }
        if options.presencePenalty != 0 || options.frequencyPenalty != 0 { generatedCounts[token, default: 0] += 1 }
    }

    /// Steps 1–8 with a given uniform `u` (the draw is skipped when greedy).
    mutating func choose(_ logits: UnsafeBufferPointer<Float>, uniform u: Double) -> Int {
        withScores(logits) { sampler, scores in
            if sampler.options.temperature == 0 { return Self.argmax(scores) }
            guard sampler.scratch.keep(scores, options: sampler.options) else { return Self.argmax(scores) }
            return sampler.scratch.draw(uniform: u)
        }
    }

    /// The kept tokens of steps 1–7 in increasing id order, with their renormalised probabilities (`temperature`
    /// must be > 0). For tests against transformers' processors.
    mutating func keptDistribution(_ logits: UnsafeBufferPointer<Float>) -> [(token: Int, probability: Double)] {
        withScores(logits) { sampler, scores in
            guard sampler.scratch.keep(scores, options: sampler.options) else {
                return [(Self.argmax(scores), 1)]
            }
            return sampler.scratch.keptDistribution()
        }
    }
}

/// How the next token is chosen from the logits.
///
/// Applied in transformers' order (`GenerationMixin._get_logits_processor`): repetition penalty, then the OpenAI
/// presence and frequency penalties (vLLM's `apply_penalties`), temperature, top-k, top-p, min-p; then a draw from
/// the remaining distribution (or the argmax when `temperature == 0`). ``TokenSampler`` applies all of them;
/// ``CausalLanguageModel/generate(prompts:maxNewTokens:sampling:stopTokens:onToken:)`` applies repetition
/// penalty, temperature, top-k and top-p only.
///
/// Decoding JSON tolerates a missing `minP`, `presencePenalty` or `frequencyPenalty` (older files): they default
/// to 0, which switches them off.
public struct SamplingOptions: Codable, Sendable, Equatable {
    /// 0 means greedy decoding.
    public var temperature: Double
    /// Keep the k most likely tokens (0 = all).
    public var topK: Int
    /// Keep the smallest set of tokens whose probability reaches p (1 = all).
    public var topP: Double
    /// Keep the tokens whose probability is at least `minP` times the most likely token's (0 = all), after
    /// temperature, top-k and top-p (Nguyen et al. 2024, as transformers' `MinPLogitsWarper` implements it).
    public var minP: Double
    /// > 1 discourages tokens already in the row (prompt included): logits > 0 are divided by it, others
    /// multiplied (CTRL, Keskar et al. 2019, as transformers implements it).
    public var repetitionPenalty: Double
    /// Subtracted once from the logit of every token generated so far (OpenAI's `presence_penalty`, in [−2, 2];
    /// the prompt does not count).
    public var presencePenalty: Double
    /// Subtracted from the logit of every generated token once per time it was generated (OpenAI's
    /// `frequency_penalty`, in [−2, 2]; the prompt does not count).
    public var frequencyPenalty: Double
    /// Seed of the sampling stream.
    public var seed: UInt64

    public init(temperature: Double = 0, topK: Int = 0, topP: Double = 1, minP: Double = 0,
                repetitionPenalty: Double = 1, presencePenalty: Double = 0, frequencyPenalty: Double = 0,
                seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.seed = seed
    }

    enum CodingKeys: String, CodingKey {
        case temperature, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, seed
    }

    /// Decodes the options; `minP`, `presencePenalty` and `frequencyPenalty` may be missing (they default to 0).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        temperature = try c.decode(Double.self, forKey: .temperature)
        topK = try c.decode(Int.self, forKey: .topK)
        topP = try c.decode(Double.self, forKey: .topP)
        minP = try c.decodeIfPresent(Double.self, forKey: .minP) ?? 0
        repetitionPenalty = try c.decode(Double.self, forKey: .repetitionPenalty)
        presencePenalty = try c.decodeIfPresent(Double.self, forKey: .presencePenalty) ?? 0
        frequencyPenalty = try c.decodeIfPresent(Double.self, forKey: .frequencyPenalty) ?? 0
        seed = try c.decode(UInt64.self, forKey: .seed)
    }

    /// Greedy decoding.
    public static let greedy = SamplingOptions()

    /// Picks a token from one row of logits `[V]`, given the tokens the row holds so far.
    func choose(_ logits: UnsafeBufferPointer<Float>, history: [Int], generator: inout RandomGenerator) -> Int {
        var scores = Array(logits)
        if repetitionPenalty != 1 {
            let penalty = Float(repetitionPenalty)
            for token in Set(history) where token < scores.count {
                scores[token] = scores[token] > 0 ? scores[token] / penalty : scores[token] * penalty
            }
        }
        if temperature == 0 {
            var best = 0
            for i in 1..<scores.count where scores[i] > scores[best] { best = i }
            return best
        }
        let t = Float(temperature)
        var candidates = scores.indices.map { ($0, scores[$0] / t) }
        candidates.sort { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
        if topK > 0 && topK < candidates.count { candidates.removeSubrange(topK...) }
        let maximum = candidates[0].1
        var probabilities = candidates.map { Double.exp(Double($0.1 - maximum)) }
        let total = probabilities.reduce(0, +)
        probabilities = probabilities.map { $0 / total }
        if topP < 1 {
            var cumulative = 0.0
            var keep = probabilities.count
            for (i, p) in probabilities.enumerated() {
                cumulative += p
                if cumulative >= topP { keep = i + 1; break }
            }
            candidates.removeSubrange(keep...)
            probabilities.removeSubrange(keep...)
            let kept = probabilities.reduce(0, +)
            probabilities = probabilities.map { $0 / kept }
        }
        let u = Double(generator.next() >> 11) * 0x1p-53
        var cumulative = 0.0
        for (i, p) in probabilities.enumerated() {
            cumulative += p
            if u < cumulative { return candidates[i].0 }
        }
        return candidates[candidates.count - 1].0
    }
}

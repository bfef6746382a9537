/// How the next token is chosen from the logits.
///
/// Applied in transformers' order: repetition penalty, temperature, top-k, top-p; then a draw from the remaining
/// distribution (or the argmax when `temperature == 0`).
public struct SamplingOptions: Codable, Sendable, Equatable {
    /// 0 means greedy decoding.
    public var temperature: Double
    /// Keep the k most likely tokens (0 = all).
    public var topK: Int
    /// Keep the smallest set of tokens whose probability reaches p (1 = all).
    public var topP: Double
    /// > 1 discourages tokens already in the row (prompt included): logits > 0 are divided by it, others
    /// multiplied (CTRL, Keskar et al. 2019, as transformers implements it).
    public var repetitionPenalty: Double
    /// Seed of the sampling stream.
    public var seed: UInt64

    public init(temperature: Double = 0, topK: Int = 0, topP: Double = 1, repetitionPenalty: Double = 1, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.repetitionPenalty = repetitionPenalty
        self.seed = seed
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

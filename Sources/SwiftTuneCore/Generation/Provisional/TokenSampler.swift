// Provisional (slice A2) until slice A1's srv-sampler branch merges; replaced by A1's definition then.

/// One row's sampler: its own seeded random stream and its own history (prompt + generated tokens).
public struct TokenSampler: Sendable {
    public let options: SamplingOptions
    var history: [Int]
    var generator: RandomGenerator

    /// - Throws: ``ModelInputError`` for invalid options.
    public init(options: SamplingOptions, prompt: [Int]) throws {
        try options.validate()
        self.options = options
        history = prompt
        generator = RandomGenerator(seed: options.seed)
    }

    /// Chooses the next token from one row of logits `[V]` and records it in the history.
    public mutating func sample(_ logits: UnsafeBufferPointer<Float>, topLogprobs: Int = 0) -> SampledToken {
        let token = options.choose(logits, history: history, generator: &generator)
        history.append(token)
        var maximum = -Float.infinity
        for value in logits where value > maximum { maximum = value }
        var sum = 0.0
        for value in logits { sum += Double.exp(Double(value - maximum)) }
        let logNormalizer = Double(maximum) + Double.log(sum)
        func logprob(_ id: Int) -> Float { Float(Double(logits[id]) - logNormalizer) }
        var top: [TokenLogprob] = []
        if topLogprobs > 0 {
            var best: [Int] = []
            for id in logits.indices {
                if best.count == topLogprobs, logits[id] <= logits[best[best.count - 1]] { continue }
                var at = best.count
                while at > 0 && logits[best[at - 1]] < logits[id] { at -= 1 }
                best.insert(id, at: at)
                if best.count > topLogprobs { best.removeLast() }
            }
            top = best.map { TokenLogprob(token: $0, logprob: logprob($0)) }
        }
        return SampledToken(token: token, logprob: logprob(token), topLogprobs: top)
    }
}

/// Text generation: a thin wrapper over a ``DecodingSession`` (one row per prompt, greedy by default).
extension CausalLanguageModel where Scalar == Float {
    /// Generates continuations of several prompts at once.
    ///
    /// - Parameters:
    ///   - prompts: token ids per row (each non-empty; rows may differ in length).
    ///   - maxNewTokens: the most tokens to generate per row.
    ///   - sampling: greedy by default. Row b samples from its own stream, seeded with `sampling.seed + b`, so its
    ///     tokens do not depend on the other rows.
    ///   - stopTokens: ids that end a row (it is included in the row's output); default: the configuration's
    ///     `eos_token_id`s.
    ///   - onToken: called with (row, token) as each token is chosen — for streaming; return `false` to stop
    ///     that row.
    /// - Returns: the generated ids of each row (prompt excluded).
    /// - Throws: ``ModelInputError`` before any work: no prompts or an empty one, an id outside the vocabulary,
    ///   a negative `maxNewTokens`, a longest prompt + `maxNewTokens` beyond `max_position_embeddings`, invalid
    ///   `sampling` options (``SamplingOptions/validate()``), or a KV cache larger than physical memory.
    public func generate(prompts: [[Int]], maxNewTokens: Int, sampling: SamplingOptions = .greedy,
                         stopTokens: Set<Int>? = nil, onToken: ((_ row: Int, _ token: Int) -> Bool)? = nil) throws -> [[Int]] {
        let c = configuration
        guard !prompts.isEmpty else {
            throw ModelInputError.invalidGenerationSetting(name: "batch size", value: "0", requirement: "must be at least 1")
        }
        if let empty = prompts.firstIndex(where: \.isEmpty) {
            throw ModelInputError.invalidGenerationSetting(name: "prompt[\(empty)]", value: "[]",
                                                           requirement: "needs at least one token")
        }
        guard maxNewTokens >= 0 else {
            throw ModelInputError.invalidGenerationSetting(name: "max_new_tokens", value: "\(maxNewTokens)",
                                                           requirement: "must be ≥ 0")
        }
        try sampling.validate()
        for p in prompts { try Self.checkTokens(p, vocabularySize: c.vocabularySize) }
        let stops = stopTokens ?? Set(c.endOfSequenceTokenIDs)
        let B = prompts.count
        let T = prompts.map(\.count).max() ?? 0
        let maxPositions = min(c.maxPositions, rope.maxPositions)
        guard T <= maxPositions else { throw ModelInputError.sequenceTooLong(length: T, maxPositions: maxPositions) }
        guard maxNewTokens <= maxPositions - T else {
            throw ModelInputError.invalidGenerationSetting(
                name: "max_new_tokens", value: "\(maxNewTokens)",
                requirement: "the longest prompt (\(T) tokens) + max_new_tokens must not exceed max_position_embeddings = \(maxPositions), so at most \(maxPositions - T)")
        }
        guard maxNewTokens > 0 else { return prompts.map { _ in [] } }
        let session = try DecodingSession(model: self, maxRows: B, maxLength: T + maxNewTokens)
        var rowOf: [DecodingSession.RowID: Int] = [:]
        for (b, prompt) in prompts.enumerated() {
            var options = sampling
            options.seed = sampling.seed &+ UInt64(b)
            let id = try session.admit(DecodingRequest(prompt: prompt, maxNewTokens: maxNewTokens, sampling: options,
                                                       stopTokens: stops))
            rowOf[id] = b
        }
        var outputs = [[Int]](repeating: [], count: B)
        while !session.isIdle {
            for event in try session.step(prefillTokens: max(256, T)) {
                let b = rowOf[event.row]!
                outputs[b].append(event.sampled.token)
                if let onToken, !onToken(b, event.sampled.token) { session.cancel(event.row) }   // no-op once finished
            }
        }
        return outputs
    }
}

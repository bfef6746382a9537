/// Text generation with a KV cache: one prefill over the prompts, then one token per row per step.
extension CausalLanguageModel where Scalar == Float {
    /// Generates continuations of several prompts at once.
    ///
    /// - Parameters:
    ///   - prompts: token ids per row (each non-empty; rows may differ in length).
    ///   - maxNewTokens: the most tokens to generate per row.
    ///   - sampling: greedy by default.
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
        let lengths = prompts.map(\.count)
        let T = lengths.max() ?? 0
        let maxPositions = min(c.maxPositions, rope.maxPositions)
        guard T <= maxPositions else { throw ModelInputError.sequenceTooLong(length: T, maxPositions: maxPositions) }
        guard maxNewTokens <= maxPositions - T else {
            throw ModelInputError.invalidGenerationSetting(
                name: "max_new_tokens", value: "\(maxNewTokens)",
                requirement: "the longest prompt (\(T) tokens) + max_new_tokens must not exceed max_position_embeddings = \(maxPositions), so at most \(maxPositions - T)")
        }
        let cache = try KVCache(configuration: c, batchSize: B, capacity: T + maxNewTokens)
        var generator = RandomGenerator(seed: sampling.seed)
        var outputs = [[Int]](repeating: [], count: B)
        var finished = [Bool](repeating: maxNewTokens == 0, count: B)
        var history = prompts
        return try withoutGradients {
            // Prefill: right-padded rows; the logits of each row's last real token start generation.
            let ids = prompts.flatMap { $0 + [Int](repeating: 0, count: T - $0.count) }
            let layout = try AttentionLayout.padded(lengths: lengths, length: T, window: c.slidingWindow ?? 0)
            var h = embedTokens(ids, shape: [B, T])
            for (i, layer) in layers.enumerated() {
                h = layer.prefill(h, layout: layout, rope: rope, cache: cache, layer: i, counts: lengths)
            }
            cache.advance(by: lengths)
            let last = Tensor.concatenate((0..<B).map { b in
                h.slice(axis: 0, b..<(b + 1)).slice(axis: 1, (lengths[b] - 1)..<lengths[b]).reshaped([1, c.hiddenSize])
            }, axis: 0)
            var logits = nextTokenLogits(last)
            for _ in 0..<maxNewTokens {
                var next = [Int](repeating: 0, count: B)
                logits.withUnsafeScalars { all in
                    for b in 0..<B where !finished[b] {
                        let row = UnsafeBufferPointer(rebasing: all[(b * c.vocabularySize)..<((b + 1) * c.vocabularySize)])
                        let token = sampling.choose(row, history: history[b], generator: &generator)
                        next[b] = token
                        outputs[b].append(token)
                        history[b].append(token)
                        if stops.contains(token) || outputs[b].count >= maxNewTokens { finished[b] = true }
                        if let onToken, !onToken(b, token) { finished[b] = true }
                    }
                }
                if finished.allSatisfy({ $0 }) { break }
                var x = embedTokens(next, shape: [B, 1])
                let positions = cache.lengths
                for (i, layer) in layers.enumerated() {
                    x = layer.decodeStep(x, positions: positions, rope: rope, cache: cache, layer: i)
                }
                cache.advance(by: [Int](repeating: 1, count: B))
                logits = nextTokenLogits(x.reshaped([B, c.hiddenSize]))
            }
            return outputs
        }
    }

    /// `[N, C]` hidden states → `[N, V]` logits (final norm, then the output projection).
    func nextTokenLogits(_ h: Tensor<Float>) -> Tensor<Float> {
        outputLogits(norm(h))
    }
}

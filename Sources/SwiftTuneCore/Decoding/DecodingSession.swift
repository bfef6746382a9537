/// A reusable decoding engine: a KV cache for `maxRows` rows of `maxLength` positions, reserved once, into which rows
/// are admitted, stepped together, and finished or cancelled between steps — continuous batching.
///
/// Each ``step(prefillTokens:)``:
/// 1. runs one decode step for every row whose prompt is in the cache: one token per row through the fused,
///    row-invariant matrix–vector path (``DecodeProjection``), rows grouped by adapter;
/// 2. prefills waiting prompts, oldest first, in chunks of at most `prefillTokens` tokens (chunk boundaries at
///    multiples of `prefillTokens` from the row's start, so a row's chunking never depends on other rows), as long
///    as the step's budget of `prefillTokens` prompt tokens allows: a running stream waits at most one chunk per
///    token. A row whose prefill completes emits its first token in that step;
/// 3. samples each row's token with its own ``TokenSampler`` (its own seeded stream and history) and returns one
///    ``DecodingEvent`` per row that produced a token. A stop id ends the row with ``FinishReason/stop``,
///    `maxNewTokens` with ``FinishReason/length``; finished rows are freed at once.
///
/// Batch invariance: every kernel on the path computes a row's numbers in an order that depends only on that row
/// (never on how many rows run or which), and a row's prefill chunks depend only on its prompt and `prefillTokens`,
/// so a row's tokens and log-probabilities are bit-identical whatever it is batched with, for the same
/// `prefillTokens`.
///
/// Not thread-safe: one owner (a thread or an actor) drives it.
///
/// ```swift
/// let session = try DecodingSession(model: model, maxRows: 8, maxLength: 2048)
/// let id = try session.admit(DecodingRequest(prompt: ids, maxNewTokens: 128,
///                                            sampling: SamplingOptions(temperature: 0.7, seed: 1)))
/// while !session.isIdle {
///     for event in try session.step() { print(event.row, event.sampled.token, event.finishReason as Any) }
/// }
/// ```
public final class DecodingSession {
    /// A row's id: unique within the session, never reused.
    public typealias RowID = Int

    /// The model (its projections must be ``DecodeProjection``s).
    public let model: CausalLanguageModel<Float>
    /// Rows that can run at once (the KV cache's slots).
    public let maxRows: Int
    /// Positions per row: prompt + new tokens of a request may not exceed it.
    public let maxLength: Int
    /// The LoRA adapters rows can select, if any.
    public let adapters: AdapterBank?
    let cache: KVCache
    let plans: [DecodeLayerPlan]
    private var rows: [RowID: Row] = [:]
    /// Rows whose prompt is not fully in the cache, oldest first.
    private var waiting: [RowID] = []
    private var freeSlots: [Int]
    private var nextID: RowID = 0

    /// One admitted row.
    private struct Row {
        let slot: Int
        let prompt: [Int]
        let maxNewTokens: Int
        let stopTokens: Set<Int>
        let topLogprobs: Int
        let adapter: Int?
        var sampler: TokenSampler
        /// Prompt tokens in the cache.
        var prefilled = 0
        /// Tokens sampled so far.
        var generated = 0
        /// The last sampled token, not yet in the cache (the next decode step's input).
        var pending: Int?

        /// The cache position of ``pending``.
        var pendingPosition: Int { prompt.count + generated - 1 }
    }

    /// A session with its KV cache (2 · layers · `maxRows` · KV heads · `maxLength` · head dim floats) allocated now.
    /// - Throws: ``DecodingSessionError/invalidSetting(name:value:requirement:)`` for `maxRows` < 1, a `maxLength` outside
    ///   1...`max_position_embeddings`, or a bank built for another model; ``DecodingSessionError/unsupportedProjection(path:reason:)``;
    ///   ``ModelInputError/exceedsMemory(what:bytes:physicalMemory:)`` for a cache larger than physical memory.
    public init(model: CausalLanguageModel<Float>, maxRows: Int, maxLength: Int, adapters: AdapterBank? = nil) throws {
        let maxPositions = min(model.configuration.maxPositions, model.rope.maxPositions)
        guard maxRows >= 1 else {
            throw DecodingSessionError.invalidSetting(name: "maxRows", value: "\(maxRows)", requirement: "must be at least 1")
        }
        guard maxLength >= 1 && maxLength <= maxPositions else {
            throw DecodingSessionError.invalidSetting(name: "maxLength", value: "\(maxLength)",
                                               requirement: "must be in 1...\(maxPositions) (max_position_embeddings)")
        }
        if let adapters, adapters.baseModel != ObjectIdentifier(model) {
            throw DecodingSessionError.invalidSetting(name: "adapters", value: "an AdapterBank",
                                               requirement: "must be built for this model")
        }
        self.model = model
        self.maxRows = maxRows
        self.maxLength = maxLength
        self.adapters = adapters
        plans = try model.layers.enumerated().map { index, layer in
            try DecodeLayerPlan(layer: layer, bank: adapters?.projections[index] ?? [:])
        }
        cache = try KVCache(configuration: model.configuration, batchSize: maxRows, capacity: maxLength)
        freeSlots = Array((0..<maxRows).reversed())
    }

    /// Rows admitted and not yet finished or cancelled.
    public var activeRows: Int { rows.count }
    /// Rows that can still be admitted.
    public var freeRows: Int { freeSlots.count }
    /// Whether no row is admitted.
    public var isIdle: Bool { rows.isEmpty }

    /// Admits a row; its prompt is prefilled by the next steps.
    /// - Returns: the row's id (events carry it).
    /// - Throws: ``DecodingSessionError``: an empty prompt, an id outside the vocabulary, `maxNewTokens` < 1, prompt +
    ///   `maxNewTokens` beyond `maxLength`, `topLogprobs` outside 0...20, an adapter the bank does not hold, no free
    ///   row (checked last); ``ModelInputError`` for invalid sampling options.
    public func admit(_ request: DecodingRequest) throws -> RowID {
        let vocabularySize = model.configuration.vocabularySize
        guard !request.prompt.isEmpty else { throw DecodingSessionError.emptyPrompt }
        if let index = request.prompt.firstIndex(where: { !(0..<vocabularySize).contains($0) }) {
            throw DecodingSessionError.tokenOutOfRange(id: request.prompt[index], index: index, vocabularySize: vocabularySize)
        }
        guard request.maxNewTokens >= 1 else {
            throw DecodingSessionError.invalidSetting(name: "max_new_tokens", value: "\(request.maxNewTokens)",
                                               requirement: "must be at least 1")
        }
        guard request.prompt.count <= maxLength, request.maxNewTokens <= maxLength - request.prompt.count else {
            throw DecodingSessionError.contextLengthExceeded(promptTokens: request.prompt.count,
                                                      maxNewTokens: request.maxNewTokens, maxLength: maxLength)
        }
        guard (0...20).contains(request.topLogprobs) else {
            throw DecodingSessionError.invalidSetting(name: "top_logprobs", value: "\(request.topLogprobs)",
                                               requirement: "must be in 0...20")
        }
        var adapter: Int?
        if let name = request.adapter {
            guard let index = adapters?.index(of: name) else {
                throw DecodingSessionError.unknownAdapter(name: name, available: adapters?.names ?? [])
            }
            adapter = index
        }
        let sampler = try TokenSampler(options: request.sampling, prompt: request.prompt)
        guard let slot = freeSlots.popLast() else { throw DecodingSessionError.noFreeRow(maxRows: maxRows) }
        let id = nextID
        nextID += 1
        rows[id] = Row(slot: slot, prompt: request.prompt, maxNewTokens: request.maxNewTokens,
                       stopTokens: request.stopTokens, topLogprobs: request.topLogprobs, adapter: adapter,
                       sampler: sampler)
        cache.setLength(0, slot: slot)
        waiting.append(id)
        return id
    }

    /// Ends a row at once and frees its slot; an unknown (or finished) id does nothing.
    public func cancel(_ row: RowID) {
        guard let removed = rows.removeValue(forKey: row) else { return }
        waiting.removeAll { $0 == row }
        cache.setLength(0, slot: removed.slot)
        freeSlots.append(removed.slot)
    }

    /// One step: a decode step for every running row, then up to `prefillTokens` prompt tokens of prefill (see the
    /// type's description).
    /// - Returns: one event per row that produced a token, decoded rows first (by adapter, then slot), then rows
    ///   whose prefill completed (oldest first).
    /// - Throws: ``DecodingSessionError/invalidSetting(name:value:requirement:)`` for `prefillTokens` < 1.
    public func step(prefillTokens: Int = 256) throws -> [DecodingEvent] {
        guard prefillTokens >= 1 else {
            throw DecodingSessionError.invalidSetting(name: "prefillTokens", value: "\(prefillTokens)", requirement: "must be at least 1")
        }
        return withoutGradients {
            var events = decodeRunningRows()
            events += prefillWaitingRows(budget: prefillTokens)
            return events
        }
    }

    /// One token for every row with a pending token.
    private func decodeRunningRows() -> [DecodingEvent] {
        let running = rows.filter { $0.value.pending != nil }
            .sorted { ($0.value.adapter ?? -1, $0.value.slot) < ($1.value.adapter ?? -1, $1.value.slot) }
        guard !running.isEmpty else { return [] }
        let M = running.count
        let positions = running.map(\.value.pendingPosition)
        let slots = running.map(\.value.slot)
        var groups: [DecodeRowGroups.Group] = []
        for (r, entry) in running.enumerated() {
            if let last = groups.last, last.adapter == entry.value.adapter {
                groups[groups.count - 1].rows = last.rows.lowerBound..<(r + 1)
            } else {
                groups.append(DecodeRowGroups.Group(adapter: entry.value.adapter, rows: r..<(r + 1)))
            }
        }
        let rowGroups = DecodeRowGroups(groups: groups)
        var x = model.embedTokens(running.map { $0.value.pending! }, shape: [M, 1]).reshaped([M, model.configuration.hiddenSize])
        for (i, layer) in model.layers.enumerated() {
            x = layer.decodeRows(x, plan: plans[i], positions: positions, slots: slots, groups: rowGroups, cache: cache,
                                 layer: i, rope: model.rope)
        }
        for (r, entry) in running.enumerated() { cache.setLength(positions[r] + 1, slot: entry.value.slot) }
        let logits = model.rowInvariantLogits(x)
        let V = model.configuration.vocabularySize
        return logits.withUnsafeScalars { all in
            running.enumerated().map { r, entry in
                emit(entry.key, UnsafeBufferPointer(rebasing: all[(r * V)..<((r + 1) * V)]))
            }
        }
    }

    /// Prefill chunks of waiting rows, oldest first, within `budget` prompt tokens.
    private func prefillWaitingRows(budget: Int) -> [DecodingEvent] {
        let chunkSize = budget
        var budget = budget
        var events: [DecodingEvent] = []
        let C = model.configuration.hiddenSize
        queue: for id in waiting {
            guard var row = rows[id] else { continue }
            while row.prefilled < row.prompt.count {
                let count = min(chunkSize, row.prompt.count - row.prefilled)
                guard count <= budget else { break queue }
                budget -= count
                let offset = row.prefilled
                var x = model.embedTokens(Array(row.prompt[offset..<(offset + count)]), shape: [1, count])
                for (i, layer) in model.layers.enumerated() {
                    x = layer.prefillChunk(x, plan: plans[i], offset: offset, slot: row.slot, adapter: row.adapter,
                                           cache: cache, layer: i, rope: model.rope)
                }
                row.prefilled += count
                cache.setLength(row.prefilled, slot: row.slot)
                rows[id] = row
                if row.prefilled == row.prompt.count {
                    let last = x.slice(axis: 1, (count - 1)..<count).reshaped([1, C])
                    let logits = model.rowInvariantLogits(last)
                    events.append(logits.withUnsafeScalars { emit(id, $0) })
                }
            }
        }
        waiting.removeAll { rows[$0].map { $0.prefilled == $0.prompt.count } ?? true }
        return events
    }

    /// Samples row `id`'s next token from its logits `[V]`, records it, and frees the row when it finished.
    private func emit(_ id: RowID, _ logits: UnsafeBufferPointer<Float>) -> DecodingEvent {
        var row = rows[id]!
        let sampled = row.sampler.sample(logits, topLogprobs: row.topLogprobs)
        row.generated += 1
        let finish: FinishReason? = row.stopTokens.contains(sampled.token) ? .stop
            : (row.generated >= row.maxNewTokens ? .length : nil)
        if finish != nil {
            rows[id] = nil
            cache.setLength(0, slot: row.slot)
            freeSlots.append(row.slot)
        } else {
            row.pending = sampled.token
            rows[id] = row
        }
        return DecodingEvent(row: id, sampled: sampled, finishReason: finish)
    }
}

/// Turns preference rows into ``PreferencePair``s and ``KTOExample``s with a tokenizer and chat template.
///
/// For a conversation, the reply is everything after the last `user` or `tool` message (ms-swift's
/// `get_last_user_round`). The prompt is the conversation before it rendered with the generation prompt
/// (`add_generation_prompt=True`); the completion is what the template renders after that for the reply, so the
/// prompt followed by the completion are the tokens of the whole conversation. As TRL's `DPOTrainer` tokenizes,
/// the completion starts where the prompt's tokens and the whole conversation's diverge (the prompt's end unless
/// the template renders the prompt alone differently); the prompt keeps the common part. Labels come from
/// ``SampleEncoder``'s assistant labelling: the chosen completion's labels are exactly what `swifttune sft` labels
/// for that reply (its content and end-of-turn text).
///
/// Length (`maxLength` and `truncation` of the ``SampleEncoder``), with P the prompt and C the longer completion:
/// - |P| ≥ maxLength: dropped (``PreferenceDrop/promptTooLong``) whatever the strategy.
/// - |P| + |C| > maxLength: `delete` drops the row (``PreferenceDrop/tooLong``, like ms-swift's default `raise`,
///   whose rows are skipped); `right` keeps the first maxLength − |P| tokens of each completion (ms-swift truncates
///   each sequence on the right, which is the same); `left` removes |P| + |C| − maxLength tokens from the start of
///   the prompt, the same for both completions so they keep one prompt (ms-swift cuts each sequence on its own, so
///   the shorter one keeps more of its prompt there), and drops the row when no prompt token would remain.
/// A row left with no scored token is dropped (``PreferenceDrop/nothingToScore``).
public struct PreferenceEncoder {
    /// Tokenizer, template, context, default system message, `maxLength` and `truncation` (its scope is ignored:
    /// completions are always labelled as SFT labels assistant turns).
    public let encoder: SampleEncoder

    /// An encoder that renders and limits rows as `encoder` does.
    public init(_ encoder: SampleEncoder) {
        self.encoder = SampleEncoder(tokenizer: encoder.tokenizer, template: encoder.template, context: encoder.context,
                                     defaultSystem: encoder.defaultSystem, scope: .assistantTokens,
                                     maxLength: encoder.maxLength, truncation: encoder.truncation)
    }

    /// What encoding one row gives.
    public enum Outcome<Item: Sendable & Equatable>: Sendable, Equatable {
        case kept(Item)
        case dropped(PreferenceDrop)

        /// The item, or `nil` when dropped.
        public var item: Item? { if case let .kept(item) = self { return item } else { return nil } }
    }

    /// Encodes a pair row.
    ///
    /// - Throws: ``DatasetRowProblem`` for a KTO row, a rejected conversation whose prompt renders differently from
    ///   the chosen one's, or a template that does not render the prompt as a prefix of the conversation;
    ///   ``JinjaError`` / ``TokenizerError`` from rendering.
    public func encodePair(_ row: PreferenceRow) throws -> Outcome<PreferencePair> {
        var prompt: [Int]
        var chosen: (ids: [Int], labels: [Int]), rejected: (ids: [Int], labels: [Int])
        switch row {
        case let .tokenizedPair(p, c, r):
            (prompt, chosen, rejected) = (p, (c, c), (r, r))
        case let .pair(chosenMessages, rejectedMessages, tools):
            let a = try render(chosenMessages, tools: tools)
            let b = try render(rejectedMessages, tools: tools)
            guard a.prompt == b.prompt else {
                throw DatasetRowProblem("the rejected conversation's prompt (everything before its reply) differs from the chosen one's")
            }
            let n = try PreferenceEncoder.promptLength(a.prompt, [a.whole.ids, b.whole.ids])
            (prompt, chosen, rejected) = (Array(a.prompt[..<n]), a.whole.completion(from: n), b.whole.completion(from: n))
        case .unpaired, .tokenizedUnpaired:
            throw DatasetRowProblem("a KTO row ('label') where a preference pair is needed")
        }
        switch fit(prompt: &prompt, longestCompletion: max(chosen.ids.count, rejected.ids.count)) {
        case let .some(reason): return .dropped(reason)
        case .none: break
        }
        let room = encoder.maxLength - prompt.count
        let pair = PreferencePair(promptIDs: prompt, chosenIDs: Array(chosen.ids.prefix(room)),
                                  rejectedIDs: Array(rejected.ids.prefix(room)),
                                  chosenLabels: Array(chosen.labels.prefix(room)),
                                  rejectedLabels: Array(rejected.labels.prefix(room)))
        guard pair.chosen.scoredTokenCount > 0, pair.rejected.scoredTokenCount > 0 else { return .dropped(.nothingToScore) }
        return .kept(pair)
    }

    /// Encodes a KTO row (a pair row is refused: unpair it first with ``PreferenceRow/unpairedRows``).
    ///
    /// - Throws: as ``encodePair(_:)``.
    public func encodeUnpaired(_ row: PreferenceRow) throws -> Outcome<KTOExample> {
        var prompt: [Int]
        let completion: (ids: [Int], labels: [Int]), desirable: Bool
        switch row {
        case let .tokenizedUnpaired(p, c, label):
            (prompt, completion, desirable) = (p, (c, c), label)
        case let .unpaired(messages, label, tools):
            let r = try render(messages, tools: tools)
            let n = try PreferenceEncoder.promptLength(r.prompt, [r.whole.ids])
            (prompt, completion, desirable) = (Array(r.prompt[..<n]), r.whole.completion(from: n), label)
        case .pair, .tokenizedPair:
            throw DatasetRowProblem("a preference pair where a KTO row ('label') is needed")
        }
        if let reason = fit(prompt: &prompt, longestCompletion: completion.ids.count) { return .dropped(reason) }
        let room = encoder.maxLength - prompt.count
        let example = KTOExample(promptIDs: prompt, completionIDs: Array(completion.ids.prefix(room)),
                                 desirable: desirable, completionLabels: Array(completion.labels.prefix(room)))
        guard example.sample.scoredTokenCount > 0 else { return .dropped(.nothingToScore) }
        return .kept(example)
    }

    /// Applies the length rules of the type's description to the prompt (`left` shortens it); returns why the
    /// row is dropped, or `nil` when it is kept (completions are then cut to `maxLength − |prompt|`).
    func fit(prompt: inout [Int], longestCompletion: Int) -> PreferenceDrop? {
        let limit = encoder.maxLength
        guard prompt.count < limit else { return .promptTooLong }
        guard prompt.count + longestCompletion > limit else { return nil }
        switch encoder.truncation {
        case .delete: return .tooLong
        case .right: return nil
        case .left:
            let keep = limit - longestCompletion
            guard keep > 0 else { return .tooLong }
            prompt = Array(prompt.suffix(keep))
            return nil
        }
    }

    /// A conversation's prompt ids (the messages before the reply with the generation prompt) and the whole
    /// conversation's ids with SFT's labels.
    func render(_ messages: [DatasetMessage], tools: [JinjaValue]?) throws -> (prompt: [Int], whole: Sample) {
        let start = try PreferenceRow.replyStart(messages, field: "messages")
        let whole = try encoder.labelledConversation(messages, tools: tools).sample
        let prompt = try encoder.labelledConversation(Array(messages[..<start]), tools: tools,
                                                      addGenerationPrompt: true).sample.ids
        return (prompt, whole)
    }

    /// Where the completions start: the length of the common prefix of the prompt and each whole conversation (TRL's
    /// `common_prefix_length`; the prompt's length unless the template renders the prompt alone differently or a
    /// token merges across the boundary).
    /// - Throws: ``DatasetRowProblem`` when that leaves no prompt token, or no completion token in a conversation.
    static func promptLength(_ prompt: [Int], _ wholes: [[Int]]) throws -> Int {
        let n = wholes.map { whole in zip(prompt, whole).prefix { $0 == $1 }.count }.min() ?? prompt.count
        guard n > 0 else {
            throw DatasetRowProblem("the prompt and the conversation share no first token (the first completion token needs a prompt token before it)")
        }
        guard wholes.allSatisfy({ $0.count > n }) else {
            throw DatasetRowProblem("the conversation renders no token after its prompt (an empty reply)")
        }
        return n
    }
}

extension Sample {
    /// Ids and labels from position `start` on.
    func completion(from start: Int) -> (ids: [Int], labels: [Int]) { (Array(ids[start...]), Array(labels[start...])) }
}

/// Turns preference rows into ``PreferencePair``s and ``KTOExample``s with a tokenizer and chat template.
///
/// For a conversation, the reply is everything after the last `user` or `tool` message (ms-swift's
/// `get_last_user_round`). The prompt is the conversation before it rendered with the generation prompt
/// (`add_generation_prompt=True`); the completion is what the template renders after that for the reply, so the
/// prompt followed by the completion are the tokens of the whole conversation. Labels come from
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
            let a = try split(chosenMessages, tools: tools)
            let b = try split(rejectedMessages, tools: tools)
            guard a.prompt == b.prompt else {
                throw DatasetRowProblem("the rejected conversation's prompt (everything before its reply) differs from the chosen one's")
            }
            (prompt, chosen, rejected) = (a.prompt, (a.ids, a.labels), (b.ids, b.labels))
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
            let s = try split(messages, tools: tools)
            (prompt, completion, desirable) = (s.prompt, (s.ids, s.labels), label)
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

    /// A conversation as prompt ids and the reply's ids and labels (see the type's description).
    func split(_ messages: [DatasetMessage], tools: [JinjaValue]?) throws -> (prompt: [Int], ids: [Int], labels: [Int]) {
        let start = try PreferenceRow.replyStart(messages, field: "messages")
        let whole = try encoder.labelledConversation(messages, tools: tools).sample
        let prompt = try encoder.labelledConversation(Array(messages[..<start]), tools: tools,
                                                      addGenerationPrompt: true).sample.ids
        guard !prompt.isEmpty else {
            throw DatasetRowProblem("the prompt renders to no token (the first completion token needs one before it)")
        }
        guard whole.ids.count > prompt.count, whole.ids.starts(with: prompt) else {
            throw DatasetRowProblem("the chat template does not render the conversation as its prompt (with the generation prompt) followed by the reply, so the completion tokens cannot be told apart")
        }
        return (prompt, Array(whole.ids[prompt.count...]), Array(whole.labels[prompt.count...]))
    }
}

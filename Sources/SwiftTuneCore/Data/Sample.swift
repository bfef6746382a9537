/// A tokenized training sample: ids and aligned labels (−100 = not scored; the model shifts).
public struct Sample: Equatable, Sendable, Codable {
    public var ids: [Int]
    public var labels: [Int]

    public init(ids: [Int], labels: [Int]) {
        precondition(ids.count == labels.count, "sample with \(ids.count) ids and \(labels.count) labels")
        self.ids = ids
        self.labels = labels
    }

    /// Tokens whose next-token prediction is scored (labels of positions 1..<count).
    public var scoredTokenCount: Int { labels.dropFirst().filter { $0 != ignoreIndex }.count }
}

/// What to do with a sample longer than `--max-length`.
public enum TruncationStrategy: String, Codable, Sendable, CaseIterable {
    /// Drop the sample.
    case delete
    /// Keep the last `maxLength` tokens.
    case left
    /// Keep the first `maxLength` tokens.
    case right
}

/// Which tokens a sample scores.
public enum LossScope: String, Codable, Sendable {
    /// Every token (continued pretraining, `swifttune pt`).
    case allTokens
    /// Assistant turns only (`swifttune sft`), unless a message says `"loss": false`.
    case assistantTokens
}

/// Turns dataset rows into samples with a tokenizer and chat template (ms-swift's encode step).
///
/// Conversations are rendered with the template (the folder's own unless one is given) and labelled by
/// ``Tokenizer/encodeChat(_:addGenerationPrompt:template:context:)``: the tokens of each assistant turn (content and
/// end-of-turn text) carry loss, except turns whose message says `"loss": false`; with `.allTokens` every token does.
public struct SampleEncoder {
    public let tokenizer: Tokenizer
    /// The template; `nil` uses the tokenizer folder's (see ``Tokenizer/resolveChatTemplate(_:forTools:)``).
    public let template: ChatTemplate?
    /// The template's variables (special tokens, keyword arguments such as `enable_thinking`).
    public let context: ChatContext
    /// The system message put first in conversations that have none (ms-swift's `--system`); `nil` leaves them.
    public let defaultSystem: String?
    public let scope: LossScope
    public let maxLength: Int
    public let truncation: TruncationStrategy

    public init(tokenizer: Tokenizer, template: ChatTemplate? = nil, context: ChatContext? = nil,
                defaultSystem: String? = nil, scope: LossScope, maxLength: Int,
                truncation: TruncationStrategy = .delete) {
        self.tokenizer = tokenizer
        self.template = template
        self.context = context ?? tokenizer.chatContext
        self.defaultSystem = defaultSystem
        self.scope = scope
        self.maxLength = maxLength
        self.truncation = truncation
    }

    /// A sample and how it was labelled.
    public struct Encoded: Sendable, Equatable {
        /// The sample, or `nil` when it was dropped (too long with `.delete`, or nothing to score).
        public var sample: Sample?
        /// The template broke the prefix property, so turn boundaries came from encoding prefixes
        /// (``TokenizedChat/labelsFromPrefixes``).
        public var labelsFromPrefixes: Bool
    }

    /// The sample for a row, or `nil` when it is longer than the maximum length and the strategy is `delete`
    /// (or it scores no token).
    public func encode(_ row: DatasetRow) throws -> Sample? { try encodeWithDetails(row).sample }

    /// The messages a conversation row is rendered with: ``defaultSystem`` first when the row has no system message.
    public func chatMessages(_ messages: [DatasetMessage]) -> [ChatMessage] {
        var chat = messages.map(\.chatMessage)
        if let defaultSystem, chat.first?.role != "system" { chat.insert(.system(defaultSystem), at: 0) }
        return chat
    }

    /// ``encode(_:)`` with how the labels were found.
    public func encodeWithDetails(_ row: DatasetRow) throws -> Encoded {
        var sample: Sample
        var fromPrefixes = false
        switch row {
        case let .tokenized(ids, labels):
            sample = Sample(ids: ids, labels: scope == .allTokens && labels == nil ? ids : (labels ?? ids))
        case let .text(text):
            var ids = tokenizer.encode(text)
            if let eos = tokenizer.eosTokenID, ids.last != eos { ids.append(eos) }
            sample = Sample(ids: ids, labels: ids)
        default:
            (sample, fromPrefixes) = try labelledConversation(row.conversation ?? [], tools: row.tools)
        }
        if sample.ids.count > maxLength {
            switch truncation {
            case .delete: return Encoded(sample: nil, labelsFromPrefixes: fromPrefixes)
            case .left: sample = Sample(ids: Array(sample.ids.suffix(maxLength)), labels: Array(sample.labels.suffix(maxLength)))
            case .right: sample = Sample(ids: Array(sample.ids.prefix(maxLength)), labels: Array(sample.labels.prefix(maxLength)))
            }
        }
        return Encoded(sample: sample.scoredTokenCount > 0 ? sample : nil, labelsFromPrefixes: fromPrefixes)
    }
}

extension SampleEncoder {
    /// A conversation rendered with the template and labelled as ``scope`` says, before any truncation: the ids of
    /// the whole conversation and, with `.assistantTokens`, the id on each token of an assistant turn whose message
    /// does not say `"loss": false` (−100 elsewhere). Also returns whether the labels came from encoding prefixes.
    ///
    /// `addGenerationPrompt` renders the generation prompt after the last message (for a prompt without its reply).
    ///
    /// - Throws: ``JinjaError`` or ``TokenizerError`` from rendering.
    func labelledConversation(_ messages: [DatasetMessage], tools: [JinjaValue]?,
                              addGenerationPrompt: Bool = false) throws -> (sample: Sample, labelsFromPrefixes: Bool) {
        let chat = chatMessages(messages)
        let offset = chat.count - messages.count
        var context = self.context
        if let tools { context.tools = tools }
        let tokenized = try tokenizer.encodeChat(chat, addGenerationPrompt: addGenerationPrompt, template: template,
                                                 context: context)
        let labels: [Int] = zip(tokenized.ids, tokenized.messageIndices).map { id, owner in
            if scope == .allTokens { return id }
            guard let owner, owner >= offset, messages[owner - offset].loss != false else { return ignoreIndex }
            return id
        }
        return (Sample(ids: tokenized.ids, labels: labels), tokenized.labelsFromPrefixes)
    }
}

extension Sample {
    /// Checks that every id is in `[0, vocabularySize)` and every label is there too or ``ignoreIndex``.
    ///
    /// - Throws: ``TrainingError/tokenOutOfRange(_:_:)`` or ``TrainingError/labelOutOfRange(_:_:)`` with the first
    ///   value out of range (the reader adds file and line).
    public func validate(vocabularySize: Int) throws {
        if let bad = ids.first(where: { $0 < 0 || $0 >= vocabularySize }) {
            throw TrainingError.tokenOutOfRange(bad, vocabularySize)
        }
        if let bad = labels.first(where: { $0 != ignoreIndex && ($0 < 0 || $0 >= vocabularySize) }) {
            throw TrainingError.labelOutOfRange(bad, vocabularySize)
        }
    }
}

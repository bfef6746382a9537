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
public struct SampleEncoder {
    public let tokenizer: Tokenizer
    public let template: ChatTemplate?
    public let scope: LossScope
    public let maxLength: Int
    public let truncation: TruncationStrategy

    public init(tokenizer: Tokenizer, template: ChatTemplate? = nil, scope: LossScope, maxLength: Int,
                truncation: TruncationStrategy = .delete) {
        self.tokenizer = tokenizer
        self.template = template
        self.scope = scope
        self.maxLength = maxLength
        self.truncation = truncation
    }

    /// The sample for a row, or `nil` when it is longer than the maximum length and the strategy is `delete`
    /// (or it scores no token).
    public func encode(_ row: DatasetRow) throws -> Sample? {
        var sample: Sample
        switch row {
        case let .tokenized(ids, labels):
            sample = Sample(ids: ids, labels: scope == .allTokens && labels == nil ? ids : (labels ?? ids))
        case let .text(text):
            var ids = tokenizer.encode(text)
            if let eos = tokenizer.eosTokenID, ids.last != eos { ids.append(eos) }
            sample = Sample(ids: ids, labels: ids)
        default:
            let messages = row.conversation!
            let chat = try tokenizer.encodeChat(messages.map { ChatMessage(role: $0.role, content: $0.content) },
                                                template: template)
            var trainable = chat.isTrainable
            if scope == .allTokens {
                trainable = [Bool](repeating: true, count: chat.ids.count)
            } else if messages.contains(where: { $0.loss == false }) {
                trainable = try maskDisabledTurns(messages, chat: chat)
            }
            sample = Sample(ids: chat.ids, labels: zip(chat.ids, trainable).map { $1 ? $0 : ignoreIndex })
        }
        if sample.ids.count > maxLength {
            switch truncation {
            case .delete: return nil
            case .left: sample = Sample(ids: Array(sample.ids.suffix(maxLength)), labels: Array(sample.labels.suffix(maxLength)))
            case .right: sample = Sample(ids: Array(sample.ids.prefix(maxLength)), labels: Array(sample.labels.prefix(maxLength)))
            }
        }
        return sample.scoredTokenCount > 0 ? sample : nil
    }

    /// Assistant turns with `"loss": false` get no loss: re-tokenize per segment to find their tokens.
    private func maskDisabledTurns(_ messages: [DatasetMessage], chat: TokenizedChat) throws -> [Bool] {
        let resolved = try tokenizer.resolveChatTemplate(template)
        let segments = resolved.segments(messages: messages.map { ChatMessage(role: $0.role, content: $0.content) },
                                         addGenerationPrompt: false)
        var trainable: [Bool] = []
        for segment in segments {
            let count = tokenizer.encode(segment.text, addSpecialTokens: false).count
            let disabled = segment.messageIndex.map { messages[$0].loss == false } ?? false
            trainable += repeatElement(segment.isTrainable && !disabled, count: count)
        }
        return trainable.count == chat.ids.count ? trainable : chat.isTrainable
    }
}

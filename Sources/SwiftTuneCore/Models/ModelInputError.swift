/// Input that a model's entry points (``CausalLanguageModel/callAsFunction(_:shape:layout:)``,
/// ``CausalLanguageModel/loss(_:labels:shape:layout:normalizer:)``,
/// ``CausalLanguageModel/generate(prompts:maxNewTokens:sampling:stopTokens:onToken:)``, ``KVCache``) refuse before
/// doing any work. Each case names the bad value and the allowed range.
public enum ModelInputError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A sequence of `length` positions (a row, a packed segment, or prompt + new tokens) is longer than the
    /// model's `max_position_embeddings`.
    case sequenceTooLong(length: Int, maxPositions: Int)
    /// Token id `id` at flat index `index` lies outside `0..<vocabularySize`.
    case tokenOutOfRange(id: Int, index: Int, vocabularySize: Int)
    /// Label `label` at flat index `index` is neither −100 (``ignoreIndex``) nor in `0..<vocabularySize`.
    case labelOutOfRange(label: Int, index: Int, vocabularySize: Int)
    /// The ids, labels, shape or layout do not agree (`reason` says how).
    case shapeMismatch(reason: String)
    /// A generation setting (`name`: `batch size`, `max_new_tokens`, `prompt[2]`, `temperature`, …) holds `value`,
    /// outside `requirement`.
    case invalidGenerationSetting(name: String, value: String, requirement: String)
    /// Buffers sized from the input (`what`, e.g. the KV cache) would need `bytes` (`nil`: more than 2⁶⁴), more than
    /// the machine's `physicalMemory`.
    case exceedsMemory(what: String, bytes: UInt64?, physicalMemory: UInt64)

    public var description: String {
        switch self {
        case let .sequenceTooLong(length, maxPositions):
            return "a sequence of \(length) positions is longer than the model's max_position_embeddings = \(maxPositions)"
        case let .tokenOutOfRange(id, index, vocabularySize):
            return "token id \(id) at index \(index) is outside the vocabulary 0..<\(vocabularySize)"
        case let .labelOutOfRange(label, index, vocabularySize):
            return "label \(label) at index \(index) is neither -100 nor in the vocabulary 0..<\(vocabularySize)"
        case let .shapeMismatch(reason):
            return "model input: \(reason)"
        case let .invalidGenerationSetting(name, value, requirement):
            return "generation: \(name) = \(value): \(requirement)"
        case let .exceedsMemory(what, bytes, memory):
            let size = bytes.map { "\(ModelConfigurationError.gigabytes($0)) GB" } ?? "more than 2⁶⁴ bytes"
            return "\(what) would need \(size), more than the \(ModelConfigurationError.gigabytes(memory)) GB of physical memory"
        }
    }
}

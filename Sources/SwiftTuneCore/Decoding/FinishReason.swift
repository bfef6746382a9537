/// Why a row ended (OpenAI's `finish_reason`).
public enum FinishReason: String, Sendable, Codable {
    /// A stop id was generated (a stop string, matched by the caller's text stream, is reported the same way).
    case stop
    /// `maxNewTokens` were generated.
    case length
}

/// One token of one row, as a ``DecodingSession/step(prefillTokens:)`` produced it.
public struct DecodingEvent: Sendable {
    /// The row (its id from ``DecodingSession/admit(_:)``).
    public var row: DecodingSession.RowID
    /// The token, its log-probability under the raw logits and the requested top alternatives.
    public var sampled: SampledToken
    /// Set on the row's last event; the row is freed by then.
    public var finishReason: FinishReason?

    public init(row: DecodingSession.RowID, sampled: SampledToken, finishReason: FinishReason?) {
        self.row = row
        self.sampled = sampled
        self.finishReason = finishReason
    }
}

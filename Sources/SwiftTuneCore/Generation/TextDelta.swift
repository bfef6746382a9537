/// The text one token added to a ``TextStream``.
public struct TextDelta: Sendable, Equatable {
    /// New text to show, possibly empty (an incomplete UTF-8 character, or text that may start a stop string, is
    /// held back). Never contains a stop string or anything after one.
    public var text: String
    /// Whether the row has ended on a stop string (this token completed one, or an earlier token did). The caller
    /// should stop generating the row.
    public var stopped: Bool

    public init(text: String, stopped: Bool) {
        self.text = text
        self.stopped = stopped
    }
}

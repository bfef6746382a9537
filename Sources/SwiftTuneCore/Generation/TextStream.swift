/// Incremental detokenizer + stop strings (for streaming): deltas never split a UTF-8 character; text that could be
/// the start of a stop string is held back until it can't be; a matched stop string and everything after it is
/// dropped.
///
/// **Detokenization** follows vLLM's `detokenize_incrementally` (HF `TextStreamer` works the same way): with ids
/// `t` and two offsets `p ≤ r`, each new id decodes the windows `t[p..<r]` (already emitted) and `t[p...]`; when the
/// second is longer (in Unicode scalars) and does not end in U+FFFD — an incomplete UTF-8 sequence, or an
/// incomplete byte-fallback character — its extra scalars are new text and `p, r ← r, t.count`; otherwise the id
/// waits for the next ones. Decoding a window that starts one emission back keeps decoders that look at the first
/// token (Metaspace's prepend scheme, Llama 2's `Strip`) and byte-level merges consistent, so with no stop string
/// matched the concatenation of all deltas and ``finish()`` is `tokenizer.decode(ids, skipSpecialTokens:)`.
/// With a `ByteFallback` decoder (Llama 2, Mistral) a run of byte tokens (`<0xE4>`) waits until a token that is not
/// a byte ends it: `tokenizers` decodes a run that is not valid UTF-8 as one U+FFFD per byte, valid bytes included,
/// so a run's text is not known before it ends.
///
/// **Stop strings** are matched on the decoded text (Unicode scalars), across token boundaries. The text not yet
/// emitted is searched for every stop string; at the earliest match the row stops, the text before the match is
/// emitted and the match and everything after it are dropped (OpenAI's `stop`, vLLM's default
/// `include_stop_str_in_output = false`). Otherwise the held-back text is exactly the longest suffix of the text
/// that is a proper prefix of some stop string (like llama.cpp's partial-stop check; vLLM holds back a fixed
/// `max length − 1` scalars instead), and the rest is emitted. Empty stop strings are ignored.
///
/// With `skipSpecialTokens` special added tokens (``Tokenizer/isSpecialToken(_:)``) contribute no text.
public struct TextStream: Sendable {
    /// The tokenizer that decodes the ids.
    public let tokenizer: Tokenizer
    /// The stop strings (empty ones removed).
    public let stopStrings: [String]
    /// Whether special added tokens are left out of the text.
    public let skipSpecialTokens: Bool
    /// Everything emitted so far (the deltas and ``finish()``'s remainder, concatenated).
    public private(set) var text = ""
    /// The stop string that ended the row, if one did.
    public private(set) var matchedStopString: String?
    /// Whether ``finish()`` has been called.
    public private(set) var isFinished = false

    /// The ids that contribute text.
    private var ids: [Int] = []
    /// vLLM's `prefix_offset` and `read_offset` into `ids`.
    private var prefixOffset = 0, readOffset = 0
    /// Decoded text not yet emitted (held back for stop strings).
    private var pending: [Unicode.Scalar] = []
    private let stops: [[Unicode.Scalar]]
    /// Whether the tokenizer's decoder merges runs of `<0xXX>` byte tokens.
    private let byteFallback: Bool

    /// A stream for one row.
    /// - Parameters:
    ///   - tokenizer: decodes the row's ids.
    ///   - stopStrings: strings that end the row when they appear in its text (any number; empty ones are ignored).
    ///   - skipSpecialTokens: leave special added tokens (EOS, `<|im_end|>`, …) out of the text.
    public init(tokenizer: Tokenizer, stopStrings: [String] = [], skipSpecialTokens: Bool = true) {
        self.tokenizer = tokenizer
        self.stopStrings = stopStrings.filter { !$0.isEmpty }
        self.skipSpecialTokens = skipSpecialTokens
        stops = self.stopStrings.map { Array($0.unicodeScalars) }
        byteFallback = tokenizer.decoder?.steps.contains { if case .byteFallback = $0 { true } else { false } } ?? false
    }

    /// Whether a stop string has ended the row.
    public var isStopped: Bool { matchedStopString != nil }

    /// Adds one generated id and returns the text it makes ready. After a stop string matched (or after
    /// ``finish()``) it returns empty text and adds nothing; ids outside the vocabulary add no text.
    public mutating func append(_ token: Int) -> TextDelta {
        guard !isStopped, !isFinished else { return TextDelta(text: "", stopped: isStopped) }
        if skipSpecialTokens && tokenizer.isSpecialToken(token) { return TextDelta(text: "", stopped: false) }
        ids.append(token)
        if byteFallback, let piece = tokenizer.idToToken(token), TokenDecoder.byteFallbackValue(piece) != nil {
            return TextDelta(text: "", stopped: false)
        }
        let (prefix, full) = windows()
        if full.count > prefix.count && full.last != "\u{FFFD}" {
            pending.append(contentsOf: full[prefix.count...])
            prefixOffset = readOffset
            readOffset = ids.count
        }
        return release(final: false)
    }

    /// Ends the row: returns the text still held back (an incomplete character at the very end decodes to U+FFFD,
    /// and a partial stop string is released), or "" if a stop string already ended the row. Later calls return "".
    public mutating func finish() -> String {
        guard !isFinished else { return "" }
        isFinished = true
        guard !isStopped else { return "" }
        let (prefix, full) = windows()
        if full.count > prefix.count { pending.append(contentsOf: full[prefix.count...]) }
        prefixOffset = ids.count
        readOffset = ids.count
        return release(final: true).text
    }

    /// The decoded windows `ids[p..<r]` and `ids[p...]`, as scalars.
    private func windows() -> (prefix: [Unicode.Scalar], full: [Unicode.Scalar]) {
        let prefix = tokenizer.decode(Array(ids[prefixOffset..<readOffset]))
        let full = tokenizer.decode(Array(ids[prefixOffset...]))
        return (Array(prefix.unicodeScalars), Array(full.unicodeScalars))
    }

    /// Emits `pending` up to the earliest stop string (and stops), or up to the held-back suffix (none if `final`).
    private mutating func release(final: Bool) -> TextDelta {
        if let start = Self.earliestMatch(of: stops, in: pending) {
            matchedStopString = stopStrings[start.stop]
            let out = Self.string(pending[..<start.index])
            pending.removeAll()
            text += out
            return TextDelta(text: out, stopped: true)
        }
        let hold = final ? 0 : Self.longestPartialStop(stops, suffixOf: pending)
        let out = Self.string(pending[..<(pending.count - hold)])
        pending.removeFirst(pending.count - hold)
        text += out
        return TextDelta(text: out, stopped: false)
    }

    static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }
}

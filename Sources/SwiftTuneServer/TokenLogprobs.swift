import SwiftTuneCore

/// One generated token with what the log-probability responses need: its id, its log-probability under the raw
/// logits, and the most likely alternatives (best first).
public struct ServedToken: Sendable, Equatable {
    public var id: Int
    public var logprob: Float
    public var top: [(id: Int, logprob: Float)]

    public init(id: Int, logprob: Float, top: [(id: Int, logprob: Float)] = []) {
        self.id = id
        self.logprob = logprob
        self.top = top
    }

    public static func == (a: ServedToken, b: ServedToken) -> Bool {
        a.id == b.id && a.logprob == b.logprob && a.top.map(\.id) == b.top.map(\.id) && a.top.map(\.logprob) == b.top.map(\.logprob)
    }

    /// A log-probability JSON can carry: −∞ becomes −9999 (vLLM's clamp), NaN 0.
    static func finite(_ x: Float) -> Float { x.isNaN ? 0 : max(x, -9999) }
}

/// Chat logprobs: `{"content": [{"token", "logprob", "bytes", "top_logprobs": [{"token", "logprob", "bytes"}]}]}`.
public struct ChatLogprobs: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var token: String
        public var logprob: Float
        public var bytes: [Int]
        public var topLogprobs: [Alternative]
        enum CodingKeys: String, CodingKey { case token, logprob, bytes, topLogprobs = "top_logprobs" }
    }
    public struct Alternative: Codable, Sendable, Equatable {
        public var token: String
        public var logprob: Float
        public var bytes: [Int]
    }
    public var content: [Entry]

    /// The entries of `tokens`, their text decoded one token at a time (as vLLM does; a token that is part of a
    /// UTF-8 character decodes to U+FFFD, its `bytes` are those of that text).
    static func make(_ tokens: [ServedToken], topCount: Int, tokenizer: Tokenizer) -> ChatLogprobs {
        func text(_ id: Int) -> String { tokenizer.decode([id], skipSpecialTokens: false) }
        return ChatLogprobs(content: tokens.map { t in
            let s = text(t.id)
            return Entry(token: s, logprob: ServedToken.finite(t.logprob), bytes: s.utf8.map(Int.init),
                         topLogprobs: t.top.prefix(topCount).map { alt in
                             let a = text(alt.id)
                             return Alternative(token: a, logprob: ServedToken.finite(alt.logprob), bytes: a.utf8.map(Int.init))
                         })
        })
    }
}

/// Text-completion logprobs (the legacy shape): `{"text_offset", "token_logprobs", "tokens", "top_logprobs"}`.
public struct CompletionLogprobs: Codable, Sendable, Equatable {
    public var textOffset: [Int]
    public var tokenLogprobs: [Float]
    public var tokens: [String]
    public var topLogprobs: [[String: Float]]
    enum CodingKeys: String, CodingKey {
        case textOffset = "text_offset", tokenLogprobs = "token_logprobs", tokens, topLogprobs = "top_logprobs"
    }

    /// The entries of `tokens`; `offset` is the character offset of the first token in the choice's text.
    static func make(_ tokens: [ServedToken], topCount: Int, tokenizer: Tokenizer, offset: Int) -> CompletionLogprobs {
        var out = CompletionLogprobs(textOffset: [], tokenLogprobs: [], tokens: [], topLogprobs: [])
        var position = offset
        for t in tokens {
            let s = tokenizer.decode([t.id], skipSpecialTokens: false)
            out.textOffset.append(position)
            position += s.count
            out.tokens.append(s)
            out.tokenLogprobs.append(ServedToken.finite(t.logprob))
            var top: [String: Float] = [:]
            for alt in t.top.prefix(topCount) {
                let key = tokenizer.decode([alt.id], skipSpecialTokens: false)
                if top[key] == nil { top[key] = ServedToken.finite(alt.logprob) }
            }
            out.topLogprobs.append(top)
        }
        return out
    }

    mutating func append(_ other: CompletionLogprobs) {
        textOffset += other.textOffset
        tokenLogprobs += other.tokenLogprobs
        tokens += other.tokens
        topLogprobs += other.topLogprobs
    }
}

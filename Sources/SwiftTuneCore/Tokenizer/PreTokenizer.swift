// The runtime pre-tokenizer: cuts each normalized piece into words for the model, following `tokenizers`'
// Split, ByteLevel and Metaspace pre-tokenizers (a Sequence is the same as its steps in order).

import Foundation

/// A piece of text on its way to the model. `atOrigin` is true when it starts at offset 0 of the input
/// (Metaspace's prepend_scheme "first" only prepends there, not after an added token).
struct TextPiece {
    var text: String
    var atOrigin: Bool
}

struct PreTokenizer: Sendable {
    enum Step: Sendable {
        case split(PatternMatcher, SplitBehavior, invert: Bool)
        case byteLevel(addPrefixSpace: Bool, regex: PatternMatcher?)
        case metaspace(replacement: Unicode.Scalar, scheme: PrependScheme, split: Bool)
    }

    /// GPT-2's pattern, used by ByteLevel when `use_regex` is true.
    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    let steps: [Step]

    /// True when a ByteLevel step maps the words to the byte alphabet.
    var isByteLevel: Bool {
        steps.contains { if case .byteLevel = $0 { return true } else { return false } }
    }

    init(_ config: PreTokenizerConfiguration, path: String) throws {
        var steps: [Step] = []
        func add(_ c: PreTokenizerConfiguration) throws {
            switch c {
            case let .split(pattern, behavior, invert):
                steps.append(.split(try PreTokenizer.compile(pattern, path: path), behavior, invert: invert))
            case let .byteLevel(addPrefixSpace, useRegex, _):
                let regex = useRegex ? try PreTokenizer.compile(.regex(PreTokenizer.gpt2Pattern), path: path) : nil
                steps.append(.byteLevel(addPrefixSpace: addPrefixSpace, regex: regex))
            case let .metaspace(replacement, scheme, split):
                guard replacement.unicodeScalars.count == 1, let r = replacement.unicodeScalars.first else {
                    throw TokenizerError.invalidComponent(path: path, component: "pre_tokenizer",
                                                          reason: "Metaspace replacement '\(replacement)' is not one character")
                }
                steps.append(.metaspace(replacement: r, scheme: scheme, split: split))
            case let .sequence(list): for item in list { try add(item) }
            case let .unsupported(type):
                throw TokenizerError.unsupportedComponent(path: path, component: "pre_tokenizer", type: type)
            }
        }
        try add(config)
        self.steps = steps
    }

    static func compile(_ pattern: PatternConfiguration, path: String) throws -> PatternMatcher {
        do { return try PatternMatcher(pattern) } catch {
            throw TokenizerError.invalidComponent(path: path, component: "pre_tokenizer",
                                                  reason: "regex does not compile: \(pattern)")
        }
    }

    /// Runs every step over every piece; empty pieces are dropped, as `PreTokenizedString::split` does.
    func preTokenize(_ piece: TextPiece, into words: inout [String]) {
        var pieces = [piece]
        for step in steps {
            var next: [TextPiece] = []
            next.reserveCapacity(pieces.count)
            for p in pieces { apply(step, to: p, into: &next) }
            pieces = next
        }
        for p in pieces where !p.text.isEmpty { words.append(p.text) }
    }

    private func apply(_ step: Step, to piece: TextPiece, into out: inout [TextPiece]) {
        switch step {
        case let .split(matcher, behavior, invert):
            let bytes = Array(piece.text.utf8)
            var spans = matcher.spans(in: piece.text, bytes: bytes)
            if invert { spans = spans.map { ($0.start, $0.end, !$0.isMatch) } }
            emit(PreTokenizer.combine(spans, behavior), of: piece, bytes: bytes, into: &out)

        case let .byteLevel(addPrefixSpace, regex):
            var text = piece.text
            if addPrefixSpace, text.unicodeScalars.first != " " { text = " " + text }
            var parts: [TextPiece] = []
            if let regex {
                let bytes = Array(text.utf8)
                emit(regex.spans(in: text, bytes: bytes), of: TextPiece(text: text, atOrigin: piece.atOrigin),
                     bytes: bytes, into: &parts)
            } else {
                parts = [TextPiece(text: text, atOrigin: piece.atOrigin)]
            }
            for p in parts { out.append(TextPiece(text: ByteLevelAlphabet.encode(p.text), atOrigin: p.atOrigin)) }

        case let .metaspace(replacement, scheme, split):
            let replacementBytes = Array(String(replacement).utf8)
            var bytes = replacingBytes(Array(piece.text.utf8), [0x20], with: replacementBytes)
            let startsWithReplacement = bytes.starts(with: replacementBytes)
            switch scheme {
            case .always where !startsWithReplacement, .first where !startsWithReplacement && piece.atOrigin:
                bytes.insert(contentsOf: replacementBytes, at: 0)
            default: break
            }
            let text = String(decoding: bytes, as: UTF8.self)
            if split {
                // Each occurrence of the replacement is its own match, merged into the piece after it.
                let spans = PatternMatcher(literal: replacementBytes).spans(in: text, bytes: bytes)
                emit(PreTokenizer.combine(spans, .mergedWithNext), of: TextPiece(text: text, atOrigin: piece.atOrigin),
                     bytes: bytes, into: &out)
            } else {
                out.append(TextPiece(text: text, atOrigin: piece.atOrigin))
            }
        }
    }

    private func emit(_ spans: [(start: Int, end: Int, isMatch: Bool)], of piece: TextPiece, bytes: [UInt8],
                      into out: inout [TextPiece]) {
        for span in spans where span.end > span.start {
            out.append(TextPiece(text: String(decoding: bytes[span.start..<span.end], as: UTF8.self),
                                 atOrigin: piece.atOrigin && span.start == 0))
        }
    }

    /// `tokenizers`' `SplitDelimiterBehavior`, applied to (start, end, isMatch) spans.
    static func combine(_ spans: [(start: Int, end: Int, isMatch: Bool)],
                        _ behavior: SplitBehavior) -> [(start: Int, end: Int, isMatch: Bool)] {
        switch behavior {
        case .isolated:
            return spans
        case .removed:
            return spans.filter { !$0.isMatch }
        case .mergedWithPrevious:
            var out: [(start: Int, end: Int, isMatch: Bool)] = []
            var previousMatch = false
            for s in spans {
                if s.isMatch, !previousMatch, !out.isEmpty {
                    out[out.count - 1].end = s.end
                } else {
                    out.append((s.start, s.end, false))
                }
                previousMatch = s.isMatch
            }
            return out
        case .mergedWithNext:
            var out: [(start: Int, end: Int, isMatch: Bool)] = []
            var previousMatch = false
            for s in spans.reversed() {
                if s.isMatch, !previousMatch, !out.isEmpty {
                    out[out.count - 1].start = s.start
                } else {
                    out.append((s.start, s.end, false))
                }
                previousMatch = s.isMatch
            }
            return out.reversed()
        case .contiguous:
            var out: [(start: Int, end: Int, isMatch: Bool)] = []
            var previousMatch = false
            for s in spans {
                if s.isMatch == previousMatch, !out.isEmpty {
                    out[out.count - 1].end = s.end
                } else {
                    out.append((s.start, s.end, false))
                }
                previousMatch = s.isMatch
            }
            return out
        }
    }
}

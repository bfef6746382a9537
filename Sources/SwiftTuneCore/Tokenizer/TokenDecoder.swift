// The runtime decoder: token strings → text, following `tokenizers`' decoders' `decode_chain` step by step
// (each step maps the list of token strings to a new list; the result is their concatenation).

import Foundation

struct TokenDecoder: @unchecked Sendable {  // may hold NSRegularExpression, immutable and thread-safe
    enum Step {
        case byteLevel
        case metaspace(replacement: Unicode.Scalar, prependScheme: PrependScheme)
        case replaceLiteral([UInt8], [UInt8])
        case replaceRegex(NSRegularExpression, template: String)
        case byteFallback
        case fuse
        case strip(content: Unicode.Scalar, start: Int, stop: Int)
    }

    let steps: [Step]

    init(_ config: DecoderConfiguration, path: String) throws {
        var steps: [Step] = []
        func scalar(_ s: String, _ what: String) throws -> Unicode.Scalar {
            guard s.unicodeScalars.count == 1, let c = s.unicodeScalars.first else {
                throw TokenizerError.invalidComponent(path: path, component: "decoder",
                                                      reason: "\(what) '\(s)' is not one character")
            }
            return c
        }
        func add(_ c: DecoderConfiguration) throws {
            switch c {
            case .byteLevel: steps.append(.byteLevel)
            case let .metaspace(replacement, scheme, _):
                steps.append(.metaspace(replacement: try scalar(replacement, "Metaspace replacement"), prependScheme: scheme))
            case let .replace(.string(pattern), content):
                steps.append(.replaceLiteral(Array(pattern.utf8), Array(content.utf8)))
            case let .replace(.regex(pattern), content):
                do {
                    steps.append(.replaceRegex(try NSRegularExpression(pattern: pattern),
                                               template: NSRegularExpression.escapedTemplate(for: content)))
                } catch {
                    throw TokenizerError.invalidComponent(path: path, component: "decoder",
                                                          reason: "Replace regex does not compile: \(pattern)")
                }
            case .byteFallback: steps.append(.byteFallback)
            case .fuse: steps.append(.fuse)
            case let .strip(content, start, stop):
                steps.append(.strip(content: try scalar(content, "Strip content"), start: max(0, start), stop: max(0, stop)))
            case let .sequence(list): for item in list { try add(item) }
            case let .unsupported(type):
                throw TokenizerError.unsupportedComponent(path: path, component: "decoder", type: type)
            }
        }
        try add(config)
        self.steps = steps
    }

    func decode(_ tokens: [String]) -> String {
        var tokens = tokens
        for step in steps { tokens = TokenDecoder.apply(step, tokens) }
        return tokens.joined()
    }

    static func apply(_ step: Step, _ tokens: [String]) -> [String] {
        switch step {
        case .byteLevel:
            // Every token's scalars map back to bytes; a token with a scalar outside the alphabet contributes its
            // own UTF-8 bytes. The bytes of all tokens are then decoded together, invalid sequences as U+FFFD.
            var bytes: [UInt8] = []
            for token in tokens {
                var mapped: [UInt8] = []
                var ok = true
                for s in token.unicodeScalars {
                    guard let b = ByteLevelAlphabet.byte(for: s) else { ok = false; break }
                    mapped.append(b)
                }
                bytes.append(contentsOf: ok ? mapped : Array(token.utf8))
            }
            return [String(decoding: bytes, as: UTF8.self)]

        case let .metaspace(replacement, scheme):
            return tokens.enumerated().map { i, token in
                var out = String.UnicodeScalarView()
                for s in token.unicodeScalars {
                    if s == replacement {
                        if i == 0 && scheme != .never { continue }
                        out.append(" ")
                    } else {
                        out.append(s)
                    }
                }
                return String(out)
            }

        case let .replaceLiteral(needle, replacement):
            return tokens.map { String(decoding: replacingBytes(Array($0.utf8), needle, with: replacement), as: UTF8.self) }

        case let .replaceRegex(re, template):
            return tokens.map {
                re.stringByReplacingMatches(in: $0, range: NSRange(location: 0, length: ($0 as NSString).length),
                                            withTemplate: template)
            }

        case .byteFallback:
            var out: [String] = []
            var pending: [UInt8] = []
            func flush() {
                guard !pending.isEmpty else { return }
                if TokenDecoder.isValidUTF8(pending) {
                    out.append(String(decoding: pending, as: UTF8.self))
                } else {
                    out.append(contentsOf: repeatElement("\u{FFFD}", count: pending.count))
                }
                pending.removeAll()
            }
            for token in tokens {
                if let b = byteFallbackValue(token) {
                    pending.append(b)
                } else {
                    flush()
                    out.append(token)
                }
            }
            flush()
            return out

        case .fuse:
            return [tokens.joined()]

        case let .strip(content, start, stop):
            return tokens.map { token in
                let scalars = Array(token.unicodeScalars)
                var lower = 0
                while lower < min(start, scalars.count), scalars[lower] == content { lower += 1 }
                var upper = scalars.count
                var removedAtEnd = 0
                while removedAtEnd < stop, upper > lower, scalars[upper - 1] == content {
                    upper -= 1
                    removedAtEnd += 1
                }
                return String(String.UnicodeScalarView(scalars[lower..<upper]))
            }
        }
    }

    static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        var iterator = bytes.makeIterator()
        var codec = UTF8()
        while true {
            switch codec.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    /// The byte of a `<0xNN>` token (6 bytes, two hex digits), as in `tokenizers`' ByteFallback decoder.
    static func byteFallbackValue(_ token: String) -> UInt8? {
        let u = Array(token.utf8)
        guard u.count == 6, u[0] == UInt8(ascii: "<"), u[1] == UInt8(ascii: "0"), u[2] == UInt8(ascii: "x"),
              u[5] == UInt8(ascii: ">") else { return nil }
        return UInt8(String(decoding: u[3..<5], as: UTF8.self), radix: 16)
    }
}

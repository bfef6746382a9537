// The runtime normalizer: a flat list of steps built from `NormalizerConfiguration` (a Sequence is the same as
// its steps in order). Semantics follow `tokenizers`' normalizers, per Unicode scalar.

import Foundation

struct Normalizer: @unchecked Sendable {  // holds NSRegularExpression, which is immutable and thread-safe
    enum Step {
        case nfc, nfd, nfkc, nfkd, lowercase
        case prepend(String)
        case replaceLiteral([UInt8], [UInt8])
        case replaceRegex(NSRegularExpression, template: String)
        case strip(left: Bool, right: Bool)
    }

    let steps: [Step]

    /// Builds the steps; `path` names the file in errors.
    init(_ config: NormalizerConfiguration, path: String) throws {
        var steps: [Step] = []
        func add(_ c: NormalizerConfiguration) throws {
            switch c {
            case .nfc: steps.append(.nfc)
            case .nfd: steps.append(.nfd)
            case .nfkc: steps.append(.nfkc)
            case .nfkd: steps.append(.nfkd)
            case .lowercase: steps.append(.lowercase)
            case let .prepend(s): steps.append(.prepend(s))
            case let .replace(.string(pattern), content):
                steps.append(.replaceLiteral(Array(pattern.utf8), Array(content.utf8)))
            case let .replace(.regex(pattern), content):
                do {
                    let re = try NSRegularExpression(pattern: pattern)
                    steps.append(.replaceRegex(re, template: NSRegularExpression.escapedTemplate(for: content)))
                } catch {
                    throw TokenizerError.invalidComponent(path: path, component: "normalizer",
                                                          reason: "Replace regex does not compile: \(pattern)")
                }
            case let .strip(left, right): steps.append(.strip(left: left, right: right))
            case let .sequence(list): for item in list { try add(item) }
            case let .unsupported(type):
                throw TokenizerError.unsupportedComponent(path: path, component: "normalizer", type: type)
            }
        }
        try add(config)
        self.steps = steps
    }

    func normalize(_ text: String) -> String {
        var s = text
        for step in steps {
            switch step {
            case .nfc: if !Normalizer.isASCII(s) { s = s.precomposedStringWithCanonicalMapping }
            case .nfd: if !Normalizer.isASCII(s) { s = s.decomposedStringWithCanonicalMapping }
            case .nfkc: s = s.precomposedStringWithCompatibilityMapping
            case .nfkd: s = s.decomposedStringWithCompatibilityMapping
            case .lowercase:
                var out = String.UnicodeScalarView()
                for scalar in s.unicodeScalars { out.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars) }
                s = String(out)
            case let .prepend(prefix):
                if !s.isEmpty { s = prefix + s }
            case let .replaceLiteral(needle, replacement):
                s = String(decoding: replacingBytes(Array(s.utf8), needle, with: replacement), as: UTF8.self)
            case let .replaceRegex(re, template):
                s = re.stringByReplacingMatches(in: s, range: NSRange(location: 0, length: (s as NSString).length),
                                                withTemplate: template)
            case let .strip(left, right):
                var scalars = Array(s.unicodeScalars)[...]
                if left { while let f = scalars.first, f.isTokenizerWhitespace { scalars = scalars.dropFirst() } }
                if right { while let l = scalars.last, l.isTokenizerWhitespace { scalars = scalars.dropLast() } }
                s = String(String.UnicodeScalarView(scalars))
            }
        }
        return s
    }

    /// ASCII text is unchanged by NFC and NFD, and most training text is ASCII: skip the Foundation call.
    static func isASCII(_ s: String) -> Bool {
        s.utf8.allSatisfy { $0 < 0x80 }
    }
}

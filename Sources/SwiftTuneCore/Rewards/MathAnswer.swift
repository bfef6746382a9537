import Foundation

/// An answer `accuracy` compares: a number (with the alternative value x/100 when written as a percentage), or,
/// when the text holds no number, the text itself with whitespace, `$`, `\left` and `\right` removed.
///
/// Extraction (SwiftTune's stand-in for ms-swift's `math_verify`): inside the last `\boxed{…}` when there is one
/// (braces balanced), else the whole text; the *last* number-like token, ASCII digits only:
/// `\frac{a}{b}` (also `\dfrac`, `\tfrac`), `a/b`, or a decimal with optional thousands commas (`1,000`),
/// optional sign, optional leading or trailing point (`.5`, `5.`), optionally followed by `%` or `\%`.
enum MathAnswer: Equatable {
    case number([Double])
    case text(String)

    private static let numberPattern = #"-?(?:[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"#
    nonisolated(unsafe) private static let token: Regex<AnyRegexOutput> = {
        let n = numberPattern
        let pattern = #"\\[dt]?frac\{\s*("# + n + #")\s*\}\{\s*("# + n + #")\s*\}|("# + n + #")\s*/\s*("# + n
            + #")|("# + n + #")(\s*\\?%)?"#
        return try! Regex(pattern).matchingSemantics(.unicodeScalar)
    }()

    /// The answer in `text`; nil when there is none (empty after normalisation).
    init?(extractingFrom text: String) {
        let body = Self.lastBoxed(text) ?? text
        if let value = Self.lastNumber(body) { self = .number(value); return }
        let normalized = Self.normalize(body)
        guard !normalized.isEmpty else { return nil }
        self = .text(normalized)
    }

    /// The content of the last `\boxed{…}` in `text` (nil when there is none or its braces do not close).
    static func lastBoxed(_ text: String) -> String? {
        let s = Array(text.unicodeScalars), marker = Array("\\boxed{".unicodeScalars)
        var start: Int?
        if s.count >= marker.count {
            for i in stride(from: s.count - marker.count, through: 0, by: -1) where Array(s[i..<(i + marker.count)]) == marker {
                start = i + marker.count
                break
            }
        }
        guard let start else { return nil }
        var depth = 1, i = start
        while i < s.count {
            if s[i] == "{" { depth += 1 } else if s[i] == "}" { depth -= 1; if depth == 0 { break } }
            i += 1
        }
        guard depth == 0 else { return nil }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: s[start..<i])
        return String(view)
    }

    static func lastNumber(_ text: String) -> [Double]? {
        let cleaned = text.replacingAll("$", with: "")
        guard let match = cleaned.matches(of: token).last else { return nil }
        func value(_ i: Int) -> Double? {
            guard let sub = match.output[i].substring else { return nil }
            return Double(String(sub).replacingAll(",", with: ""))
        }
        if let a = value(1), let b = value(2) { return b == 0 ? nil : [a / b] }
        if let a = value(3), let b = value(4) { return b == 0 ? nil : [a / b] }
        guard let x = value(5) else { return nil }
        return match.output[6].substring != nil ? [x, x / 100] : [x]
    }

    static func normalize(_ text: String) -> String {
        let removed = text.replacingAll("\\left", with: "").replacingAll("\\right", with: "").replacingAll("$", with: "")
        var view = String.UnicodeScalarView()
        view.append(contentsOf: removed.unicodeScalars.filter { !PythonText.isSpace($0) })
        return String(view)
    }

    /// Numbers: some value of each agrees within 10⁻⁹ relative (absolute below 1); text: identical code points.
    func matches(_ answer: MathAnswer) -> Bool {
        switch (self, answer) {
        case let (.number(gold), .number(got)):
            return gold.contains { g in got.contains { Swift.abs(g - $0) <= 1e-9 * Swift.max(1, Swift.abs(g), Swift.abs($0)) } }
        case let (.text(gold), .text(got)):
            return Array(gold.unicodeScalars) == Array(got.unicodeScalars)
        default:
            return false
        }
    }
}

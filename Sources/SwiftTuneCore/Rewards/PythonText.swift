/// Python's `str` whitespace rules over Unicode scalars, so the reward functions split, strip and compare text as
/// the ms-swift and sacrebleu code they reproduce does (`str.split()`, `str.rstrip()`, `str.isspace()`, regex
/// `\s`). Python counts code points, not grapheme clusters; so does everything here.
enum PythonText {
    /// `str.isspace()` for one code point (also what `\s` matches in a `str` regex): U+0009–U+000D,
    /// U+001C–U+001F, U+0020, U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
    static func isSpace(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default: return false
        }
    }

    /// `str.split()`: runs of whitespace separate, leading and trailing whitespace ignored.
    static func split(_ text: String) -> [String] {
        var words: [String] = [], current = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            if isSpace(s) {
                if !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() }
            } else {
                current.append(s)
            }
        }
        if !current.isEmpty { words.append(String(current)) }
        return words
    }

    /// `str.rstrip()`.
    static func rstrip(_ text: String) -> String {
        var scalars = Array(text.unicodeScalars)
        while let last = scalars.last, isSpace(last) { scalars.removeLast() }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    /// `str.strip()`.
    static func strip(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        guard let first = scalars.firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isSpace($0) })!
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[first...last])
        return String(view)
    }

    /// `str.lower()` per code point (Unicode full lowercase mapping; Python's context-dependent final sigma
    /// rule is not applied: 'Σ' always maps to 'σ').
    static func lower(_ text: String) -> String {
        var view = String.UnicodeScalarView()
        for s in text.unicodeScalars { view.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars) }
        return String(view)
    }
}

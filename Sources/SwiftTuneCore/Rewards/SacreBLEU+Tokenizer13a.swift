extension SacreBLEU {
    /// sacrebleu's `13a` tokenizer (mteval-v13a): drops `<skipped>` and `-\n`, turns newlines into spaces,
    /// unescapes `&quot; &amp; &lt; &gt;`, then splits off ASCII punctuation and symbols, periods and commas not
    /// between digits, and a dash after a digit; the tokens joined by single spaces.
    static func tokenize13a(_ text: String) -> String {
        var line = text.replacingAll("<skipped>", with: "").replacingAll("-\n", with: "").replacingAll("\n", with: " ")
        if line.contains("&") {
            line = line.replacingAll("&quot;", with: "\"").replacingAll("&amp;", with: "&")
                .replacingAll("&lt;", with: "<").replacingAll("&gt;", with: ">")
        }
        var s = Array((" " + line + " ").unicodeScalars)
        func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 0x30 && c.value <= 0x39 }
        func isPeriodOrComma(_ c: Unicode.Scalar) -> Bool { c == "." || c == "," }
        // ([\{-\~\[-\` -\&\(-\+\:-\@\/]) → ' \1 '
        var out: [Unicode.Scalar] = []
        for c in s {
            let v = c.value
            if (0x7B...0x7E).contains(v) || (0x5B...0x60).contains(v) || (0x20...0x26).contains(v)
                || (0x28...0x2B).contains(v) || (0x3A...0x40).contains(v) || v == 0x2F {
                out += [" ", c, " "]
            } else {
                out.append(c)
            }
        }
        s = out
        // ([^0-9])([\.,]) → '\1 \2 '
        out = []
        var i = 0
        while i < s.count {
            if i + 1 < s.count, !isDigit(s[i]), isPeriodOrComma(s[i + 1]) { out += [s[i], " ", s[i + 1], " "]; i += 2 }
            else { out.append(s[i]); i += 1 }
        }
        s = out
        // ([\.,])([^0-9]) → ' \1 \2'
        out = []
        i = 0
        while i < s.count {
            if i + 1 < s.count, isPeriodOrComma(s[i]), !isDigit(s[i + 1]) { out += [" ", s[i], " ", s[i + 1]]; i += 2 }
            else { out.append(s[i]); i += 1 }
        }
        s = out
        // ([0-9])(-) → '\1 \2 '
        out = []
        i = 0
        while i < s.count {
            if i + 1 < s.count, isDigit(s[i]), s[i + 1] == "-" { out += [s[i], " ", s[i + 1], " "]; i += 2 }
            else { out.append(s[i]); i += 1 }
        }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: out)
        return PythonText.split(String(view)).joined(separator: " ")
    }
}

extension String {
    /// Python's `str.replace(old, new)` over code points (non-overlapping, left to right).
    func replacingAll(_ target: String, with replacement: String) -> String {
        let s = Array(unicodeScalars), t = Array(target.unicodeScalars)
        guard !t.isEmpty, s.count >= t.count else { return self }
        var out = String.UnicodeScalarView()
        var i = 0
        while i < s.count {
            if i + t.count <= s.count, Array(s[i..<(i + t.count)]) == t {
                out.append(contentsOf: replacement.unicodeScalars)
                i += t.count
            } else {
                out.append(s[i]); i += 1
            }
        }
        return String(out)
    }
}

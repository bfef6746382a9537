/// `format`: 1 when the completion is `<think>…</think>`, optional whitespace, `<answer>…</answer>` and nothing
/// after it, else 0 (ms-swift's `Format`: `re.match(r'^<think>.*?</think>\s*<answer>.*?</answer>(?![\s\S])',
/// completion, re.DOTALL | re.MULTILINE)`).
public struct FormatReward: RewardFunction {
    public var name: String { "format" }

    /// The format reward.
    public init() {}

    public func scores(for inputs: [RewardInput]) throws -> [Double?] {
        inputs.map { Self.matches($0.completion) ? 1 : 0 }
    }

    /// The regular expression's answer, by search: some `</think>` after the opening tag, then whitespace
    /// (Python's `\s`), then `<answer>`, and the text after it ends with `</answer>`.
    static func matches(_ text: String) -> Bool {
        let s = Array(text.unicodeScalars)
        let think = Array("<think>".unicodeScalars), endThink = Array("</think>".unicodeScalars)
        let answer = Array("<answer>".unicodeScalars), endAnswer = Array("</answer>".unicodeScalars)
        guard s.starts(with: think) else { return false }
        var i = think.count
        while i + endThink.count <= s.count {
            if Array(s[i..<(i + endThink.count)]) == endThink {
                var j = i + endThink.count
                while j < s.count, PythonText.isSpace(s[j]) { j += 1 }
                if s[j...].starts(with: answer) {
                    let rest = s[(j + answer.count)...]
                    if rest.count >= endAnswer.count, Array(rest.suffix(endAnswer.count)) == endAnswer { return true }
                }
            }
            i += 1
        }
        return false
    }
}

/// `accuracy`: 1 when the completion's answer equals the row's `solution`, else 0 (ms-swift's `MathAccuracy`).
///
/// As ms-swift: the answer is the stripped content of the first `<answer>…</answer>` of the completion; without
/// that tag only a `\boxed{…}` answer counts (no anchor, no answer: 0). The solution's `<answer>` content (or
/// the whole solution) is the gold answer; an unparseable gold answer scores 0.
///
/// Where ms-swift hands both to `math_verify` (LaTeX/SymPy parsing and symbolic equivalence), SwiftTune extracts
/// and compares with its own rules (`MathAnswer`): the last number in the (boxed) text, fractions and percentages
/// included, compared numerically (relative 10⁻⁹); with no number, the whitespace-free texts compared exactly
/// (math_verify would give 0 to a plain-word gold answer and may accept symbolically equal expressions such as
/// `x^2+1` and `1+x^2`, which SwiftTune does not).
public struct AccuracyReward: RewardFunction {
    public var name: String { "accuracy" }

    /// The accuracy reward.
    public init() {}

    /// - Throws: ``RewardError`` when a row has no string `solution`.
    public func scores(for inputs: [RewardInput]) throws -> [Double?] {
        try inputs.enumerated().map { i, input in
            Self.score(completion: input.completion, solution: try input.string("solution", reward: name, row: i))
        }
    }

    /// The score of one completion against one solution.
    static func score(completion: String, solution: String) -> Double {
        let tagged = firstAnswerTag(completion)
        guard let gold = MathAnswer(extractingFrom: firstAnswerTag(solution).map(PythonText.strip) ?? solution) else { return 0 }
        let answer: MathAnswer?
        if let tagged {
            answer = MathAnswer(extractingFrom: PythonText.strip(tagged))
        } else {
            answer = MathAnswer.lastBoxed(completion).flatMap { MathAnswer(extractingFrom: $0) }
        }
        guard let answer else { return 0 }
        return gold.matches(answer) ? 1 : 0
    }

    /// `re.search(r'<answer>(.*?)</answer>', text, re.DOTALL).group(1)`.
    static func firstAnswerTag(_ text: String) -> String? {
        let s = Array(text.unicodeScalars), open = Array("<answer>".unicodeScalars), close = Array("</answer>".unicodeScalars)
        guard let start = s.firstRange(of: open)?.upperBound,
              let end = s[start...].firstRange(of: close)?.lowerBound else { return nil }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: s[start..<end])
        return String(view)
    }
}

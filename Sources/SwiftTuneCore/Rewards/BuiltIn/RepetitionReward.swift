/// `repetition`: a penalty for repeated word n-grams (ms-swift's `RepetitionPenalty`, arXiv 2502.03373):
///
///     (1 − #distinct n-grams / #n-grams) · max_penalty
///
/// over the lower-cased, whitespace-split words; 0 for an empty completion or one with fewer than n words.
public struct RepetitionReward: RewardFunction {
    public var name: String { "repetition" }
    /// n (`repetition_n_grams`, default 3).
    public var ngramSize: Int
    /// The penalty of a completion that is all repetition (`repetition_max_penalty`, default −1).
    public var maxPenalty: Double

    /// The repetition reward.
    /// - Throws: ``RewardError/invalidOption(name:value:requirement:)`` for `repetition_n_grams` < 1 or a
    ///   non-finite `repetition_max_penalty`.
    public init(ngramSize: Int = 3, maxPenalty: Double = -1) throws {
        guard ngramSize >= 1 else {
            throw RewardError.invalidOption(name: "repetition_n_grams", value: "\(ngramSize)", requirement: "≥ 1")
        }
        guard maxPenalty.isFinite else {
            throw RewardError.invalidOption(name: "repetition_max_penalty", value: "\(maxPenalty)", requirement: "finite")
        }
        self.ngramSize = ngramSize
        self.maxPenalty = maxPenalty
    }

    public func scores(for inputs: [RewardInput]) throws -> [Double?] {
        inputs.map { input in
            let text = input.completion
            if text.isEmpty || PythonText.split(text).count < ngramSize { return 0 }
            let words = PythonText.split(PythonText.lower(text)).map { $0.unicodeScalars.map(\.value) }
            guard words.count >= ngramSize else { return 0 }
            var distinct = Set<[[UInt32]]>()
            let total = words.count - ngramSize + 1
            for i in 0..<total { distinct.insert(Array(words[i..<(i + ngramSize)])) }
            return (1 - Double(distinct.count) / Double(total)) * maxPenalty
        }
    }
}

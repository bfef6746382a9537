/// A tokenized KTO example: a prompt, one completion and whether that completion is desirable.
///
/// `completionLabels[i]` is `completionIDs[i]` where that token is scored and ``ignoreIndex`` where it is not (the
/// tokens SFT labels; see ``PreferencePair``).
public struct KTOExample: Equatable, Sendable {
    /// The prompt (never empty).
    public var promptIDs: [Int]
    /// The completion.
    public var completionIDs: [Int]
    /// Per token of ``completionIDs``: the id, or ``ignoreIndex`` where not scored.
    public var completionLabels: [Int]
    /// `label` of the row: true for a desirable completion, false for an undesirable one.
    public var desirable: Bool

    /// An example; labels default to every completion token scored.
    /// - Precondition: `completionLabels`, when given, has the completion's length.
    public init(promptIDs: [Int], completionIDs: [Int], desirable: Bool, completionLabels: [Int]? = nil) {
        precondition(completionLabels.map { $0.count == completionIDs.count } ?? true,
                     "completion labels and ids differ in length")
        self.promptIDs = promptIDs
        self.completionIDs = completionIDs
        self.completionLabels = completionLabels ?? completionIDs
        self.desirable = desirable
    }

    /// `prompt + completion`, labels on the completion only.
    public var sample: Sample { Sample.completion(prompt: promptIDs, ids: completionIDs, labels: completionLabels) }

    /// This example's prompt followed by `other`'s completion (KTO's mismatched pair for the KL estimate), the
    /// completion cut on the right so the whole fits `maxLength` tokens when one is given.
    public func sample(withCompletionOf other: KTOExample, maxLength: Int? = nil) -> Sample {
        let room = maxLength.map { max(0, $0 - promptIDs.count) } ?? other.completionIDs.count
        let n = min(room, other.completionIDs.count)
        return Sample.completion(prompt: promptIDs, ids: Array(other.completionIDs.prefix(n)),
                                 labels: Array(other.completionLabels.prefix(n)))
    }

    /// For each example, the one whose completion its KL sequence uses: within each consecutive group of
    /// `groupSize` examples, example i takes example i − 1's and the group's first takes its last's
    /// (`[y_n, y_1, …, y_{n−1}]`, as TRL and ms-swift rotate). A last group shorter than `groupSize` rotates on its own.
    /// - Precondition: `groupSize ≥ 1`.
    public static func shiftedCompletions(_ examples: [KTOExample], groupSize: Int) -> [KTOExample] {
        precondition(groupSize >= 1, "KL group size \(groupSize)")
        var out: [KTOExample] = []
        out.reserveCapacity(examples.count)
        for start in stride(from: 0, to: examples.count, by: groupSize) {
            let group = examples[start..<min(start + groupSize, examples.count)]
            out += [group.last!] + group.dropLast()
        }
        return out
    }

    /// Checks every id and label against the vocabulary (see ``Sample/validate(vocabularySize:)``).
    /// - Throws: ``TrainingError/tokenOutOfRange(_:_:)`` or ``TrainingError/labelOutOfRange(_:_:)``.
    public func validate(vocabularySize: Int) throws { try sample.validate(vocabularySize: vocabularySize) }
}

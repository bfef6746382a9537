/// A tokenized preference pair: one prompt and two completions (DPO, ORPO, CPO, SimPO).
///
/// `chosenLabels[i]` is `chosenIDs[i]` where that token is scored and ``ignoreIndex`` where it is not (the same
/// tokens SFT labels: an assistant turn's content and end-of-turn text, not a tool response inside a multi-message
/// reply, not a message with `"loss": false`); likewise `rejectedLabels`. The sequences a model sees are
/// `promptIDs + chosenIDs` and `promptIDs + rejectedIDs`; the prompt is never scored.
public struct PreferencePair: Equatable, Sendable {
    /// The prompt P (the conversation before the reply, with the template's generation prompt); never empty.
    public var promptIDs: [Int]
    /// The chosen completion C⁺.
    public var chosenIDs: [Int]
    /// The rejected completion C⁻.
    public var rejectedIDs: [Int]
    /// Per token of ``chosenIDs``: the id, or ``ignoreIndex`` where not scored.
    public var chosenLabels: [Int]
    /// Per token of ``rejectedIDs``: the id, or ``ignoreIndex`` where not scored.
    public var rejectedLabels: [Int]

    /// A pair; labels default to every completion token scored.
    /// - Precondition: each labels array, when given, has its completion's length.
    public init(promptIDs: [Int], chosenIDs: [Int], rejectedIDs: [Int], chosenLabels: [Int]? = nil,
                rejectedLabels: [Int]? = nil) {
        precondition(chosenLabels.map { $0.count == chosenIDs.count } ?? true, "chosen labels and ids differ in length")
        precondition(rejectedLabels.map { $0.count == rejectedIDs.count } ?? true, "rejected labels and ids differ in length")
        self.promptIDs = promptIDs
        self.chosenIDs = chosenIDs
        self.rejectedIDs = rejectedIDs
        self.chosenLabels = chosenLabels ?? chosenIDs
        self.rejectedLabels = rejectedLabels ?? rejectedIDs
    }

    /// `P + C⁺` with labels ``ignoreIndex`` on the prompt and ``chosenLabels`` on the completion.
    public var chosen: Sample { Sample.completion(prompt: promptIDs, ids: chosenIDs, labels: chosenLabels) }

    /// `P + C⁻` with labels ``ignoreIndex`` on the prompt and ``rejectedLabels`` on the completion.
    public var rejected: Sample { Sample.completion(prompt: promptIDs, ids: rejectedIDs, labels: rejectedLabels) }

    /// Checks every id and label against the vocabulary (see ``Sample/validate(vocabularySize:)``).
    /// - Throws: ``TrainingError/tokenOutOfRange(_:_:)`` or ``TrainingError/labelOutOfRange(_:_:)``.
    public func validate(vocabularySize: Int) throws {
        try chosen.validate(vocabularySize: vocabularySize)
        try rejected.validate(vocabularySize: vocabularySize)
    }
}

extension Sample {
    /// `prompt + ids` with labels ``ignoreIndex`` on the prompt and `labels` on the completion.
    static func completion(prompt: [Int], ids: [Int], labels: [Int]) -> Sample {
        Sample(ids: prompt + ids, labels: [Int](repeating: ignoreIndex, count: prompt.count) + labels)
    }
}

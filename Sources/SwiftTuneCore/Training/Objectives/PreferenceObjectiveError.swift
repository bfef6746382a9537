/// Why a preference objective (``PreferenceObjective``, ``KTOObjective``) cannot be built or run.
public enum PreferenceObjectiveError: Error, Equatable, CustomStringConvertible {
    /// DPO and KTO compare the policy with a reference model, and none was given.
    case missingReference(method: String)
    /// KTO's KL estimate pairs each prompt with another example's completion within a total batch; with one
    /// example per step it would pair the example with itself (ms-swift refuses the same).
    case ktoBatchTooSmall(totalBatchSize: Int)
    /// A reference log-probability cache does not cover the units asked for.
    case referenceCacheMismatch(expected: Int, got: Int)
    /// `objective_state.json` of a checkpoint could not be read.
    case badObjectiveState(reason: String)

    public var description: String {
        switch self {
        case let .missingReference(method): "\(method) needs a reference model (adapters disabled, --ref-model or --ref-adapters)"
        case let .ktoBatchTooSmall(size):
            "KTO needs a total batch size (--batch-size × --gradient-accumulation-steps) above 1, not \(size): the KL "
                + "term pairs each prompt with another example's completion, and with one example it would equal the implied reward"
        case let .referenceCacheMismatch(expected, got): "reference log-probability cache holds \(got) units, expected \(expected)"
        case let .badObjectiveState(reason): "objective_state.json: \(reason)"
        }
    }
}

/// Why a preference row was left out of training (counted, not an error).
public enum PreferenceDrop: String, Sendable, CaseIterable, Codable {
    /// The prompt alone has `--max-length` tokens or more: no completion token would fit.
    case promptTooLong
    /// Prompt plus the longer completion exceed `--max-length` and the strategy is `delete`, or with `left` the
    /// completion alone fills the limit (no prompt token would be left before it).
    case tooLong
    /// No completion token is scored (every reply message says `"loss": false`, or truncation cut them all).
    case nothingToScore
}

/// How many rows each ``PreferenceDrop`` reason left out.
public struct PreferenceDropCounts: Equatable, Sendable, Codable {
    public var promptTooLong = 0
    public var tooLong = 0
    public var nothingToScore = 0

    public init() {}

    /// Rows dropped in all.
    public var total: Int { promptTooLong + tooLong + nothingToScore }

    /// Counts one more row dropped for `reason`.
    public mutating func add(_ reason: PreferenceDrop) {
        switch reason {
        case .promptTooLong: promptTooLong += 1
        case .tooLong: tooLong += 1
        case .nothingToScore: nothingToScore += 1
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A testing hook for the fault tests: `SWIFTTUNE_FAULT_INJECT` makes ``FolderTransaction`` kill its own process
/// with `SIGKILL` (exactly what `kill -9` does) at a named point of a folder write, so that a test can check what a
/// reader finds afterwards. Unset (always, outside tests), nothing happens.
///
/// The variable is a comma-separated list of tokens:
/// - `<point>` or `<point>@<name>`: die on reaching `point` (for any target, or only a target whose last path
///   component is `name`). Points, in order: `prepared` (staging folder created, kept entries linked, nothing
///   written yet), `staged` (every file written, before flushing and swapping), `aside` (fallback path only: the
///   old folder renamed aside, the new one not yet in place), `exchanged` (new folder in place, the old one not yet
///   deleted).
/// - `no-exchange`: behave as if the filesystem could not exchange two entries atomically (the fallback path).
enum FaultInjection {
    /// The named points, in the order a write reaches them.
    enum Point: String, CaseIterable {
        case prepared, staged, aside, exchanged
    }

    static let environmentVariable = "SWIFTTUNE_FAULT_INJECT"

    /// The tokens of the variable, read once.
    static let tokens: [Substring] = {
        guard let raw = getenv(environmentVariable) else { return [] }
        return String(cString: raw).split(separator: ",").map { $0.drop(while: { $0 == " " }) }
    }()

    /// Whether `no-exchange` was asked for.
    static var exchangeDisabled: Bool { tokens.contains("no-exchange") }

    /// Kills this process if the variable names `point` (for `targetName`, or for every target).
    static func reach(_ point: Point, targetName: String) {
        guard !tokens.isEmpty else { return }
        for token in tokens {
            let parts = token.split(separator: "@", maxSplits: 1)
            guard parts.first.map(String.init) == point.rawValue else { continue }
            if parts.count == 1 || String(parts[1]) == targetName { kill(getpid(), SIGKILL) }
        }
    }
}

/// An external scorer (`--reward-command`) that failed; training stops with this error.
public enum RewardCommandError: Error, Equatable, CustomStringConvertible {
    /// The command could not be started.
    case launchFailed(command: String, reason: String)
    /// The scorer exited (or closed its stdout) before answering; `status` is e.g. `exit status 3` or `signal 9`,
    /// `stderr` the end of what it wrote there.
    case exited(command: String, status: String, stderr: String)
    /// No complete answer within `--reward-timeout` seconds; the scorer was killed.
    case timedOut(command: String, seconds: Double)
    /// The answer line is not the JSON the protocol defines.
    case malformedResponse(command: String, line: String, reason: String)
    /// The answer has a different number of scores than the request had completions.
    case wrongCount(command: String, expected: Int, got: Int)
    /// The scorer answered `{"error": "..."}`.
    case scorerError(command: String, message: String)
    /// A previous request failed and the scorer was stopped.
    case stopped(command: String, after: String)
    /// `--reward-timeout` is not a positive finite number of seconds.
    case invalidTimeout(Double)

    public var description: String {
        switch self {
        case let .launchFailed(command, reason): "--reward-command '\(command)': could not start (\(reason))"
        case let .exited(command, status, stderr):
            "--reward-command '\(command)': the scorer stopped (\(status)) before answering"
                + (stderr.isEmpty ? "" : "; its stderr ended with: \(stderr)")
        case let .timedOut(command, seconds):
            "--reward-command '\(command)': no answer within --reward-timeout \(seconds) s; the scorer was killed"
        case let .malformedResponse(command, line, reason):
            "--reward-command '\(command)': malformed answer (\(reason)): \(line)"
        case let .wrongCount(command, expected, got):
            "--reward-command '\(command)': \(got) scores for \(expected) completions"
        case let .scorerError(command, message): "--reward-command '\(command)': the scorer reported: \(message)"
        case let .stopped(command, after): "--reward-command '\(command)': stopped after an earlier failure (\(after))"
        case let .invalidTimeout(seconds): "--reward-timeout = \(seconds): must be a positive number of seconds"
        }
    }
}

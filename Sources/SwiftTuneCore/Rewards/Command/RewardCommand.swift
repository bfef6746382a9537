import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `--reward-command "CMD"`: a long-lived external scorer. `CMD` runs once under `/bin/sh -c` in its own process
/// group; every ``scores(for:)`` call writes one JSON request line to its stdin and reads one answer line from
/// its stdout (the protocol is documented in `Documentation/GRPO.md`):
///
///     → {"id": 0, "inputs": [{"completion": "…", "completion_ids": […], "messages": […], "columns": {…}}]}
///     ← {"id": 0, "scores": [0.5, null]}
///
/// Writing the request and reading the answer together must finish within ``timeout`` seconds. A scorer that
/// exits, hangs past the timeout, answers something other than that JSON or the wrong number of scores is
/// stopped (its process group killed) and the call throws ``RewardCommandError``; later calls throw
/// ``RewardCommandError/stopped(command:after:)``. What the scorer writes to stderr is kept (its last 2 KB) for
/// the error message. The scorer is killed when this object is released or ``stop()`` is called.
public final class RewardCommand: RewardFunction, @unchecked Sendable {
    /// The reward's name in metrics (default `reward_command`).
    public let name: String
    /// The shell command.
    public let command: String
    /// Seconds allowed per batch (`--reward-timeout`).
    public let timeout: Double

    let lock = NSLock()
    var pid: pid_t = 0
    var input: Int32 = -1, output: Int32 = -1, errors: Int32 = -1
    var pending: [UInt8] = []
    var stderrTail: [UInt8] = []
    var nextID = 0
    var failure: RewardCommandError?

    /// Starts the scorer.
    /// - Throws: ``RewardCommandError/invalidTimeout(_:)`` or ``RewardCommandError/launchFailed(command:reason:)``.
    public init(command: String, timeout: Double = 300, name: String = "reward_command") throws {
        guard timeout.isFinite, timeout > 0 else { throw RewardCommandError.invalidTimeout(timeout) }
        self.command = command
        self.timeout = timeout
        self.name = name
        try launch()
    }

    deinit { stop() }

    /// Kills the scorer's process group and closes the pipes (idempotent).
    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        terminate()
    }

    /// Sends one request with every input and returns the scorer's scores.
    /// - Throws: ``RewardCommandError``.
    public func scores(for inputs: [RewardInput]) throws -> [Double?] {
        lock.lock()
        defer { lock.unlock() }
        if let failure { throw RewardCommandError.stopped(command: command, after: failure.description) }
        do {
            return try exchange(inputs)
        } catch let error as RewardCommandError {
            failure = error
            terminate()
            throw error
        }
    }

    private func exchange(_ inputs: [RewardInput]) throws -> [Double?] {
        let id = nextID
        nextID += 1
        let request: [UInt8]
        do { request = try RewardCommandProtocol.encode(id: id, inputs: inputs) } catch {
            throw RewardCommandError.malformedResponse(command: command, line: "", reason: "the request could not be encoded: \(error)")
        }
        let deadline = Date().addingTimeInterval(timeout)
        try write(request, deadline: deadline)
        let line = try readLine(deadline: deadline)
        switch RewardCommandProtocol.decode(line, id: id) {
        case let .scores(scores):
            guard scores.count == inputs.count else {
                throw RewardCommandError.wrongCount(command: command, expected: inputs.count, got: scores.count)
            }
            return scores
        case let .error(message): throw RewardCommandError.scorerError(command: command, message: message)
        case let .malformed(reason):
            throw RewardCommandError.malformedResponse(command: command, line: Self.preview(line), reason: reason)
        }
    }

    static func preview(_ line: [UInt8]) -> String {
        let text = String(decoding: line.prefix(300), as: UTF8.self)
        return line.count > 300 ? text + "…" : text
    }
}

import Dispatch
import NIOConcurrencyHelpers

extension OpenAIServer {
    /// ``run(onListening:)`` for synchronous callers (a command-line `main`): blocks the calling thread until the
    /// server has stopped (SIGINT / SIGTERM), then rethrows what stopped it, if anything.
    public func runBlocking(onListening: @escaping @Sendable (Int) -> Void = { _ in }) throws {
        let failure = NIOLockedValueBox<(any Error)?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            do { try await run(onListening: onListening) } catch { failure.withLockedValue { $0 = error } }
            done.signal()
        }
        done.wait()
        if let error = failure.withLockedValue({ $0 }) { throw error }
    }
}

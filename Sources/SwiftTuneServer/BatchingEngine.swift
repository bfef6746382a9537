import Foundation
import NIOConcurrencyHelpers
import SwiftTuneCore

/// The real engine: one thread owns the model and a ``DecodingSession`` and runs its decode steps in a loop.
/// Requests join the running batch between two steps and leave it the step they finish (continuous batching); long
/// prompts are prefilled in chunks of `prefillChunk` tokens, so running streams wait at most one chunk.
///
/// The KV cache for `maxBatchSize × maxModelLength` tokens is reserved once, when the engine starts. Beyond
/// `maxQueue` waiting requests, ``submit(_:)`` refuses at once (429). A cancelled job (a client that went away)
/// frees its rows before the next step.
public final class BatchingEngine: InferenceEngine {
    /// The engine's sizes.
    public struct Configuration: Sendable {
        /// Rows decoded together (`--max-batch-size`).
        public var maxBatchSize: Int
        /// Tokens per row, prompt included (`--max-model-len`); `nil`: the model's `max_position_embeddings`.
        public var maxModelLength: Int?
        /// Requests that may wait for free rows (`--max-queue`).
        public var maxQueue: Int
        /// Prompt tokens prefilled per step.
        public var prefillChunk: Int

        public init(maxBatchSize: Int = 8, maxModelLength: Int? = nil, maxQueue: Int = 64, prefillChunk: Int = 256) {
            self.maxBatchSize = maxBatchSize
            self.maxModelLength = maxModelLength
            self.maxQueue = maxQueue
            self.prefillChunk = prefillChunk
        }
    }

    /// What ``init(configuration:tokenizer:load:)``'s `load` returns, on the engine's thread.
    public struct LoadedModel {
        public var model: CausalLanguageModel<Float>
        public var adapters: AdapterBank?
        public init(model: CausalLanguageModel<Float>, adapters: AdapterBank? = nil) {
            self.model = model
            self.adapters = adapters
        }
    }

    public let limits: EngineLimits
    let shared: EngineShared

    /// Starts the engine thread, which calls `load` (so the model never crosses threads), reserves the KV cache and
    /// waits for jobs.
    /// - Throws: what `load` throws; ``ModelInputError`` or the session's errors for sizes it cannot reserve;
    ///   `ModelInputError.invalidGenerationSetting` for a batch size or queue below 1.
    public init(configuration: Configuration, tokenizer: Tokenizer,
                load: @escaping @Sendable () throws -> LoadedModel) throws {
        for (name, value) in [("max_batch_size", configuration.maxBatchSize), ("max_queue", configuration.maxQueue),
                              ("prefill_chunk", configuration.prefillChunk)] where value < 1 {
            throw ModelInputError.invalidGenerationSetting(name: name, value: "\(value)", requirement: "must be at least 1")
        }
        let shared = EngineShared()
        let started = NIOLockedValueBox<Result<EngineLimits, any Error>?>(nil)
        let ready = DispatchSemaphore(value: 0)
        let thread = Thread {
            let loop: EngineLoop
            do {
                loop = try EngineLoop(configuration: configuration, tokenizer: tokenizer, loaded: load(), shared: shared)
                started.withLockedValue { $0 = .success(loop.limits) }
            } catch {
                started.withLockedValue { $0 = .failure(error) }
                ready.signal()
                shared.stopped()
                return
            }
            ready.signal()
            loop.run()
            shared.stopped()
        }
        thread.name = "swifttune-engine"
        thread.stackSize = 16 << 20
        thread.start()
        ready.wait()
        let result = started.withLockedValue { $0 }
        switch result {
        case let .success(limits)?: self.limits = limits
        case let .failure(error)?: throw error
        case nil: throw ModelInputError.invalidGenerationSetting(name: "engine", value: "not started", requirement: "must start")
        }
        self.shared = shared
    }

    deinit { shared.requestShutdown(cancelRunning: true) }

    public func submit(_ job: GenerationJob) throws(APIError) -> GenerationHandle {
        guard job.parameters.n <= limits.maxBatchSize else {
            throw APIError.invalidValue("n", "at most \(limits.maxBatchSize) choices (the server's --max-batch-size)")
        }
        let (events, continuation) = AsyncThrowingStream<GenerationEvent, any Error>.makeStream()
        let id = try shared.enqueue(job, continuation: continuation, maxQueue: limits.maxQueue)
        let shared = self.shared
        continuation.onTermination = { _ in shared.cancel(id) }
        return GenerationHandle(events: events) { shared.cancel(id) }
    }

    public func status() -> EngineStatus { shared.status() }

    public func shutdown(cancelRunning: Bool) async {
        shared.requestShutdown(cancelRunning: cancelRunning)
        await shared.waitUntilStopped()
    }
}

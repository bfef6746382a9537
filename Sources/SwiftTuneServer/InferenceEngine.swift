import SwiftTuneCore

/// What the HTTP layer asks of whatever generates the tokens: ``BatchingEngine`` in a server, a scripted engine in
/// tests. Every member is callable from any task.
public protocol InferenceEngine: Sendable {
    /// The bounds requests are checked against before they are submitted.
    var limits: EngineLimits { get }

    /// Queues `job` and returns its events at once; the engine starts it between two decode steps.
    /// - Throws: ``APIError`` 429 when `limits.maxQueue` requests already wait, 503 while shutting down, 400 for a
    ///   job the engine cannot run (an unknown adapter, more choices than rows).
    func submit(_ job: GenerationJob) throws(APIError) -> GenerationHandle

    /// Requests waiting and rows running now.
    func status() -> EngineStatus

    /// Stops accepting jobs (``submit(_:)`` answers 503), then finishes the running rows (`cancelRunning == false`)
    /// or cancels them, ends every stream, and returns once the engine has stopped.
    func shutdown(cancelRunning: Bool) async
}

/// The engine's fixed bounds.
public struct EngineLimits: Sendable, Equatable {
    /// Prompt + completion tokens of one row (`--max-model-len`).
    public var maxModelLength: Int
    /// Rows decoded together (`--max-batch-size`); a request's `n` choices take `n` rows.
    public var maxBatchSize: Int
    /// Requests that may wait for rows (`--max-queue`); beyond them requests are refused at once.
    public var maxQueue: Int
    /// Token ids are in `0..<vocabularySize`.
    public var vocabularySize: Int
    /// The model's end-of-sequence ids (config.json's `eos_token_id`s and the tokenizer's), which end a choice
    /// unless the request sets `ignore_eos`.
    public var endOfSequenceTokens: Set<Int>

    public init(maxModelLength: Int, maxBatchSize: Int, maxQueue: Int, vocabularySize: Int, endOfSequenceTokens: Set<Int>) {
        self.maxModelLength = maxModelLength
        self.maxBatchSize = maxBatchSize
        self.maxQueue = maxQueue
        self.vocabularySize = vocabularySize
        self.endOfSequenceTokens = endOfSequenceTokens
    }
}

/// A snapshot of the engine's load.
public struct EngineStatus: Sendable, Equatable {
    /// Requests submitted and not yet started.
    public var waiting: Int
    /// Rows being prefilled or decoded.
    public var runningRows: Int
    /// False once shutdown has begun.
    public var accepting: Bool
    /// Tokens generated since the engine started (every row's, including those of cancelled rows).
    public var generatedTokens: Int

    public init(waiting: Int, runningRows: Int, accepting: Bool, generatedTokens: Int = 0) {
        self.waiting = waiting
        self.runningRows = runningRows
        self.accepting = accepting
        self.generatedTokens = generatedTokens
    }
}

/// One request's work: `choices` rows continuing the same prompt.
public struct GenerationJob: Sendable {
    /// Prompt token ids (non-empty, in the vocabulary).
    public var prompt: [Int]
    /// The adapter's name; `nil`: the base model.
    public var adapter: String?
    /// Completion tokens per choice, at most `maxModelLength − prompt.count`.
    public var maxTokens: Int
    /// Sampling, stop strings, `n`, `ignore_eos`, …; `seed` is set (choice `i` samples with `seed + i`, so choice 0
    /// equals the same request with `n = 1`).
    public var parameters: GenerationParameters
    /// Token ids that end a choice (end-of-sequence ids unless `ignore_eos`, plus `stop_token_ids`).
    public var stopTokens: Set<Int>
    /// Alternatives reported per token (0…20).
    public var topLogprobs: Int

    public init(prompt: [Int], adapter: String?, maxTokens: Int, parameters: GenerationParameters, stopTokens: Set<Int>,
                topLogprobs: Int) {
        self.prompt = prompt
        self.adapter = adapter
        self.maxTokens = maxTokens
        self.parameters = parameters
        self.stopTokens = stopTokens
        self.topLogprobs = topLogprobs
    }

    /// The seed of choice `index`.
    public func seed(ofChoice index: Int) -> UInt64 { (parameters.seed ?? 0) &+ UInt64(index) }
}

/// One generated token of one choice: the text it adds (never a split UTF-8 character; stop strings and what
/// follows them removed; at the end, any held-back remainder) and, on the choice's last token, why it ended.
public struct GenerationEvent: Sendable, Equatable {
    public var choice: Int
    public var token: ServedToken
    public var text: String
    public var finish: ChoiceFinish?

    public init(choice: Int, token: ServedToken, text: String, finish: ChoiceFinish?) {
        self.choice = choice
        self.token = token
        self.text = text
        self.finish = finish
    }
}

/// A submitted job: its events (ending when every choice has finished, or with an ``APIError``) and a way to
/// cancel it (a disconnected client): its rows are freed within one decode step.
public struct GenerationHandle: Sendable {
    public let events: AsyncThrowingStream<GenerationEvent, any Error>
    public let cancel: @Sendable () -> Void

    public init(events: AsyncThrowingStream<GenerationEvent, any Error>, cancel: @escaping @Sendable () -> Void) {
        self.events = events
        self.cancel = cancel
    }
}

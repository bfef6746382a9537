import Foundation
import Prometheus

/// The server's Prometheus metrics (`GET /metrics`, text format 0.0.4), in a registry of its own so that several
/// servers in one process (tests) do not mix their counts.
///
/// - `swifttune_requests_total{status}`: answered requests by HTTP status;
/// - `swifttune_prompt_tokens_total`, `swifttune_generation_tokens_total`: tokens read and generated;
/// - `swifttune_queue_depth`: requests waiting for rows; `swifttune_running_rows`: rows being decoded;
/// - `swifttune_time_to_first_token_seconds`: from the request's arrival to its first token (histogram);
/// - `swifttune_inter_token_latency_seconds`: between two tokens of one choice (histogram).
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let promptTokens: Counter
    let generationTokens: Counter
    let queueDepth: Gauge
    let runningRows: Gauge
    let timeToFirstToken: DurationHistogram
    let interTokenLatency: DurationHistogram

    public init() {
        promptTokens = registry.makeCounter(name: "swifttune_prompt_tokens_total", help: "Prompt tokens of started requests.")
        generationTokens = registry.makeCounter(name: "swifttune_generation_tokens_total", help: "Generated tokens.")
        queueDepth = registry.makeGauge(name: "swifttune_queue_depth", help: "Requests waiting for rows.")
        runningRows = registry.makeGauge(name: "swifttune_running_rows", help: "Rows being prefilled or decoded.")
        let ttft: [Duration] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30].map { .milliseconds(Int64($0 * 1000)) }
        timeToFirstToken = registry.makeDurationHistogram(name: "swifttune_time_to_first_token_seconds", buckets: ttft,
                                                          help: "Request arrival to first generated token.")
        let itl: [Duration] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1].map { .microseconds(Int64($0 * 1_000_000)) }
        interTokenLatency = registry.makeDurationHistogram(name: "swifttune_inter_token_latency_seconds", buckets: itl,
                                                           help: "Time between two tokens of one choice.")
    }

    /// Counts one answered request.
    func answered(status: Int) {
        registry.makeCounter(name: "swifttune_requests_total", labels: [("status", "\(status)")],
                             help: "Answered requests by HTTP status.").increment()
    }

    /// The text exposition, with the gauges read from `status` first.
    func exposition(_ status: EngineStatus) -> String {
        queueDepth.set(Double(status.waiting))
        runningRows.set(Double(status.runningRows))
        return registry.emitToString()
    }
}

import Prometheus
import Serving

/// The server's Prometheus series (`GET /metrics`): requests by status,
/// latency of answered requests, candidates scored, and at each scrape the
/// queue's depth and the requests in flight.
final class ServeMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let byStatus: [Int: Counter]
    private let latency: DurationHistogram
    private let candidates: Counter
    private let queueDepth: Gauge
    private let inFlight: Gauge

    init() {
        var counters: [Int: Counter] = [:]
        for code in [200, 400, 413, 503] {
            counters[code] = registry.makeCounter(name: "strata_serve_requests_total", labels: [("code", String(code))],
                                                  help: "Scoring requests answered, by HTTP status")
        }
        byStatus = counters
        latency = registry.makeDurationHistogram(
            name: "strata_serve_request_seconds",
            buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000].map { Duration.milliseconds($0) },
            help: "Time from a scoring request's arrival to its answer (200 only)")
        candidates = registry.makeCounter(name: "strata_serve_candidates_total", help: "Candidate items scored")
        queueDepth = registry.makeGauge(name: "strata_serve_queue_depth", help: "Sub-batches waiting for a model instance")
        inFlight = registry.makeGauge(name: "strata_serve_in_flight", help: "Requests admitted and not yet answered")
    }

    func answered(_ code: Int) { byStatus[code]?.increment() }
    func scored(candidates n: Int, seconds: Duration) {
        candidates.increment(by: Int64(n))
        latency.record(seconds)
    }

    func exposition(service: ScoringService) -> [UInt8] {
        queueDepth.set(to: Double(service.queuedSubBatches))
        inFlight.set(to: Double(service.inFlight))
        return registry.emitToBuffer()
    }
}

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
            counters[code] = registry.makeCounter(descriptor: Self.name("requests", "total", "Scoring requests answered, by HTTP status"),
                                                  labels: [("code", String(code))])
        }
        byStatus = counters
        latency = registry.makeDurationHistogram(
            descriptor: Self.name("request", "seconds", "Time from a scoring request's arrival to its answer (200 only)"),
            buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000].map { Duration.milliseconds($0) })
        candidates = registry.makeCounter(descriptor: Self.name("candidates", "total", "Candidate items scored"))
        queueDepth = registry.makeGauge(descriptor: Self.name("queue_depth", "", "Sub-batches waiting for a model instance"))
        inFlight = registry.makeGauge(descriptor: Self.name("in_flight", "", "Requests admitted and not yet answered"))
    }

    /// strata_serve_METRIC_UNIT (an empty unit adds nothing: strata_serve_in_flight).
    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "strata", subsystem: "serve", metricName: metric, unitName: unit, helpText: help)
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

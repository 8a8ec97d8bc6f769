import Foundation
import Hummingbird
import Logging
import NIOCore
import Serving
import ServiceLifecycle
import UnixSignals

/// `strata serve`'s HTTP face over a `ScoringService`:
///
///     POST /score     a request (see `RequestJSON`) -> {"scores": [p...]}
///                     400 / 413 {"error", "field"} for bad input; 503 + Retry-After when full
///     GET  /health    {"status": "ok", "in_flight", "queued_sub_batches"}
///     GET  /metrics   Prometheus text
///
/// Runs in a ServiceGroup: SIGTERM (or `stop()`) stops accepting, answers
/// what was admitted, then drains the scoring service.
public final class InferenceServer: Sendable {
    public let service: ScoringService
    public let limits: RequestLimits
    let metrics = ServeMetrics()
    private let latencyEWMA = EWMA()

    public init(service: ScoringService, limits: RequestLimits) {
        self.service = service
        self.limits = limits
    }

    /// A server that is listening: its port, and a way to stop it.
    public struct Running: Sendable {
        public let port: Int
        let group: ServiceGroup
        let task: Task<Void, Error>
        /// Graceful: in-flight requests are answered first.
        public func stop() async throws {
            await group.triggerGracefulShutdown()
            try await task.value
        }
        /// Returns when the server has stopped (SIGTERM, or `stop`).
        public func wait() async throws { try await task.value }
    }

    /// Binds `host:port` (port 0: an ephemeral one) and serves until stopped;
    /// `signals` (SIGTERM for the CLI, none in tests) stop it gracefully.
    public func start(host: String, port: Int, signals: [UnixSignal]) async throws -> Running {
        var logger = Logger(label: "strata-serve")
        logger.logLevel = .warning
        let router = Router()
        router.post("score") { request, _ in try await self.score(request) }
        router.get("health") { _, _ in
            Self.json(.ok, "{\"status\":\"ok\",\"in_flight\":\(self.service.inFlight),\"queued_sub_batches\":\(self.service.queuedSubBatches)}")
        }
        router.get("metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            return Response(status: .ok, headers: headers,
                            body: .init(byteBuffer: ByteBuffer(bytes: self.metrics.exposition(service: self.service))))
        }
        let (portStream, portSink) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "strata-serve"),
                              onServerRunning: { channel in
                                  portSink.yield(channel.localAddress?.port ?? -1)
                                  portSink.finish()
                              }, logger: logger)
        let drain = DrainService(service: service)
        let group = ServiceGroup(configuration: .init(services: [.init(service: app), .init(service: drain)],
                                                      gracefulShutdownSignals: signals, logger: logger))
        let task = Task { try await group.run() }
        var bound = -1
        for await p in portStream { bound = p }
        guard bound > 0 else {
            task.cancel()
            try await task.value
            throw RequestError(.badRequest, field: "port", "the server did not bind \(host):\(port)")
        }
        return Running(port: bound, group: group, task: task)
    }

    private func score(_ request: Request) async throws -> Response {
        let start = ContinuousClock.now
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: limits.maxBodyBytes)
        } catch {
            return refuse(RequestError(.tooLarge, field: "body", "larger than \(limits.maxBodyBytes) bytes"))
        }
        let decoded: ScoringRequest
        do {
            decoded = try service.served.decodeRequest(Array(body.readableBytesView), limits: limits)
        } catch let e as RequestError {
            return refuse(e)
        }
        let service = self.service
        let result: Result<[Float], Error>? = await withCheckedContinuation { continuation in
            if !service.submit(decoded, done: { continuation.resume(returning: $0) }) {
                continuation.resume(returning: nil)
            }
        }
        guard let result else {
            metrics.answered(503)
            // The admitted work's expected drain time, at least a second.
            let wait = max(1, Int((Double(service.inFlight) * latencyEWMA.value / Double(service.config.instances)).rounded(.up)))
            var headers = HTTPFields()
            headers[.retryAfter] = String(wait)
            headers[.contentType] = "application/json"
            return Response(status: .serviceUnavailable, headers: headers,
                            body: .init(byteBuffer: ByteBuffer(string: "{\"error\":\"overloaded: \(service.config.queueCapacity) requests in flight\"}")))
        }
        let logits = try result.get()
        var out = "{\"scores\":["
        out.reserveCapacity(16 * logits.count + 16)
        for (i, z) in logits.enumerated() {
            if i > 0 { out += "," }
            out += "\(1 / (1 + exp(-z)))"
        }
        out += "]}"
        let elapsed = ContinuousClock.now - start
        latencyEWMA.add(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        metrics.scored(candidates: logits.count, seconds: elapsed)
        metrics.answered(200)
        return Self.json(.ok, out)
    }

    private func refuse(_ e: RequestError) -> Response {
        metrics.answered(e.status.rawValue)
        let message = e.message.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return Self.json(e.status == .tooLarge ? .contentTooLarge : .badRequest,
                         "{\"error\":\"\(e.field): \(message)\",\"field\":\"\(e.field)\"}")
    }

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// Drains the scoring service once the group shuts down (after the HTTP
/// server, which is listed first and so stops first).
struct DrainService: Service {
    let service: ScoringService
    func run() async throws {
        try? await gracefulShutdown()
        service.shutdown()
    }
}

/// A lock-guarded moving average of request seconds (Retry-After's estimate).
final class EWMA: @unchecked Sendable {
    private let lock = NSLock()
    private var v = 0.01
    var value: Double { lock.lock(); defer { lock.unlock() }; return v }
    func add(_ x: Double) { lock.lock(); v = 0.9 * v + 0.1 * x; lock.unlock() }
}

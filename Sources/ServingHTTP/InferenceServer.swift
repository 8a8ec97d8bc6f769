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
/// Runs in a ServiceGroup. SIGTERM (or `stop()`) drains before it stops: the
/// server keeps accepting, answers what was admitted, answers anything that
/// arrives from then on with 503 (so a connection accepted, or waiting in the
/// listen backlog, at the signal gets a reply, not a reset), and only when no
/// request has been in flight for `quietSeconds` does it stop listening and
/// stop the scoring service. A failure to bind ends `start` at once with a
/// `BindError` naming the address and the reason.
public final class InferenceServer: Sendable {
    public let service: ScoringService
    public let limits: RequestLimits
    let metrics = ServeMetrics()
    private let latencyEWMA = EWMA()
    private let gate = DrainGate()
    /// How long a draining server waits with nothing in flight before it stops listening.
    public static let quietSeconds = 0.3
    /// The longest a drain waits for the quiet before it stops anyway.
    public static let maxDrainSeconds = 30.0

    public init(service: ScoringService, limits: RequestLimits) {
        self.service = service
        self.limits = limits
    }

    /// A server that is listening: its port, and a way to stop it.
    public struct Running: Sendable {
        public let port: Int
        let group: ServiceGroup
        let task: Task<Void, Error>
        let gate: DrainGate
        /// Graceful: drains (see the type's comment), then stops listening.
        public func stop() async throws {
            await gate.drain(quiet: InferenceServer.quietSeconds, limit: InferenceServer.maxDrainSeconds)
            await group.triggerGracefulShutdown()
            try await task.value
        }
        /// Returns when the server has stopped (SIGTERM, or `stop`).
        public func wait() async throws { try await task.value }
    }

    /// Binds `host:port` (port 0: an ephemeral one) and serves until stopped;
    /// `signals` (SIGTERM for the CLI, none in tests) stop it gracefully.
    public func start(host: String, port: Int, signals: [UnixSignal]) async throws -> Running {
        guard (0...65535).contains(port) else { throw BindError(host: host, port: port, reason: "a port is 0...65535") }
        var logger = Logger(label: "strata-serve")
        logger.logLevel = .warning
        let router = Router()
        let gate = self.gate
        router.post("score") { request, _ in
            gate.enter()
            defer { gate.leave() }
            return try await self.score(request)
        }
        router.get("health") { _, _ in
            gate.touch()
            return Self.json(.ok, "{\"status\":\"ok\",\"in_flight\":\(self.service.inFlight),\"queued_sub_batches\":\(self.service.queuedSubBatches)}")
        }
        router.get("metrics") { _, _ in
            gate.touch()
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
        // Signals are ours, not the group's: a signal drains first (`Running.stop`).
        let group = ServiceGroup(configuration: .init(services: [.init(service: app)], gracefulShutdownSignals: [], logger: logger))
        let service = self.service
        let task = Task {
            // A bind failure ends `group.run` without `onServerRunning`: finishing
            // the stream here is what lets `start` return instead of waiting forever.
            defer { portSink.finish() }
            try await group.run()
            // Every HTTP request has been answered; the instance threads have nothing left.
            service.shutdown()
        }
        var bound = -1
        for await p in portStream { bound = p }
        guard bound > 0 else {
            task.cancel()
            do { try await task.value } catch { throw BindError(host: host, port: port, error) }
            throw BindError(host: host, port: port, reason: "the server stopped before it listened")
        }
        let running = Running(port: bound, group: group, task: task, gate: gate)
        if !signals.isEmpty {
            let trap = await UnixSignalsSequence(trapping: signals)
            Task {
                for await _ in trap {
                    try? await running.stop()
                    break
                }
            }
        }
        return running
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
        // Draining: everything admitted is being answered; anything new gets a reply too, never a reset.
        if gate.draining {
            metrics.answered(503)
            var headers = HTTPFields()
            headers[.retryAfter] = "1"
            headers[.contentType] = "application/json"
            headers[.connection] = "close"
            return Response(status: .serviceUnavailable, headers: headers,
                            body: .init(byteBuffer: ByteBuffer(string: "{\"error\":\"shutting down\"}")))
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

/// What a drain waits on: requests in flight in the handlers and the time of
/// the last one, and whether the server is draining.
final class DrainGate: @unchecked Sendable {
    private let lock = NSLock()
    private var inFlight = 0
    private var last = ContinuousClock.now
    private var isDraining = false

    var draining: Bool { lock.lock(); defer { lock.unlock() }; return isDraining }
    func enter() { lock.lock(); inFlight += 1; last = .now; lock.unlock() }
    func leave() { lock.lock(); inFlight -= 1; last = .now; lock.unlock() }
    func touch() { lock.lock(); last = .now; lock.unlock() }

    /// Marks the server draining and returns once nothing has been in flight
    /// for `quiet` seconds (at most `limit` seconds in all).
    func drain(quiet: Double, limit: Double) async {
        lock.withLock { isDraining = true; last = .now }
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(limit) {
            let idle = lock.withLock { inFlight == 0 && ContinuousClock.now - last >= .seconds(quiet) }
            if idle { return }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// The server could not listen: which address, and why, in words.
public struct BindError: Error, CustomStringConvertible {
    public var description: String
    init(host: String, port: Int, reason: String) { description = "cannot listen on \(host):\(port): \(reason)" }
    init(host: String, port: Int, _ error: Error) {
        let reason: String
        if let io = error as? IOError {
            reason = String(cString: strerror(io.errnoCode)).lowercased()
        } else if let e = error as? SocketAddressError, case .unknown(_, _) = e {
            reason = "the host name does not resolve"
        } else {
            reason = "\(error)"
        }
        self.init(host: host, port: port, reason: reason)
    }
}

/// A lock-guarded moving average of request seconds (Retry-After's estimate).
final class EWMA: @unchecked Sendable {
    private let lock = NSLock()
    private var v = 0.01
    var value: Double { lock.lock(); defer { lock.unlock() }; return v }
    func add(_ x: Double) { lock.lock(); v = 0.9 * v + 0.1 * x; lock.unlock() }
}

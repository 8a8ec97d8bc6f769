import Data
import Foundation
import Serving
import ServingHTTP
import ServingTestSupport
import StrataTrainingFixtures
import Training
import XCTest

/// A real server on 127.0.0.1 (ephemeral port), real sockets: good requests
/// score as the engine does; bad ones get 400/413 naming the field and the
/// server keeps serving; a full queue sheds with 503 + Retry-After and
/// recovers; /health and /metrics answer; stop() answers what was admitted.
final class ServerTests: XCTestCase {
    /// A mean-pooling model whose dense bottom MLP (`bottom`, `dense` inputs) makes a request take a while.
    static func slowModel(bottom: [Int], dense: Int) throws -> ServedModel {
        let c = TinyConfig.sequenceDLRM(encoder: .mean)
        var model = c.model
        model.bottom = bottom
        var schema = SyntheticDataset(c.data.synthetic).schema
        schema.denseCount = dense
        return try ServedModel.random(schema: schema, model: model, seed: 3, maxHistory: 8, memoryBudgetBytes: 0, origin: "slow")
    }

    func withServer(_ served: ServedModel, _ config: ServingConfig, limits: RequestLimits = RequestLimits(maxCandidates: 256),
                    _ body: (Int, ScoringService) throws -> Void) async throws {
        let service = ScoringService(served: served, config: config, maxCandidates: limits.maxCandidates)
        let server = InferenceServer(service: service, limits: limits)
        let running = try await server.start(host: "127.0.0.1", port: 0, signals: [])
        do { try body(running.port, service) } catch { try await running.stop(); throw error }
        try await running.stop()
    }

    func testGoodRequestsScoreAsTheEngineAndBadOnesNameTheirField() async throws {
        let served = try ServingFixtures.tinyModel()
        let generator = RequestGenerator(served: served, lookups: 1, historyLength: 6)
        try await withServer(served, ServingConfig(instances: 2, threads: 1, subBatch: 4)) { port, service in
            let client = try LoopbackConnection(port: port)
            let good = generator.body(candidates: 9, seed: 1, index: 0)
            let expected = try service.scoreBlocking(try served.decodeRequest(good, limits: RequestLimits())).map { 1 / (1 + exp(-$0)) }
            func scores(_ r: HTTPReply) throws -> [Float] {
                let json = try JSONSerialization.jsonObject(with: Data(r.body)) as! [String: Any]
                return (json["scores"] as! [NSNumber]).map { $0.floatValue }
            }
            let ok = try client.send("POST", "/score", body: good)
            XCTAssertEqual(ok.status, 200, ok.text)
            XCTAssertEqual(try scores(ok), expected)

            var json = try JSONSerialization.jsonObject(with: Data(good)) as! [String: Any]
            func mutated(_ change: (inout [String: Any]) -> Void) -> [UInt8] {
                var j = json
                change(&j)
                return [UInt8](try! JSONSerialization.data(withJSONObject: j))
            }
            let cases: [(String, [UInt8], Int, String)] = [
                ("malformed JSON", Array("{\"dense\": [1, 2".utf8), 400, "body"),
                ("wrong dense count", mutated { $0["dense"] = [1.0, 2.0] }, 400, "dense"),
                ("id outside a table", mutated { j in
                    var c = j["candidates"] as! [String: Any]; var items = c["item"] as! [Int]; items[3] = 500
                    c["item"] = items; j["candidates"] = c }, 400, "candidates.item[3]"),
                ("empty candidates", mutated { j in
                    var c = j["candidates"] as! [String: Any]; for k in c.keys { c[k] = [Int]() }; j["candidates"] = c }, 400, "candidates."),
                ("too many candidates", generator.body(candidates: 300, seed: 1, index: 1), 413, "candidates."),
                ("unknown feature", mutated { j in var u = j["user"] as! [String: Any]; u["nope"] = [1]; j["user"] = u }, 400, "user.nope"),
                ("missing history", mutated { j in var u = j["user"] as! [String: Any]; u["history"] = nil; j["user"] = u }, 400, "user.history"),
                ("a string for a number", mutated { j in j["dense"] = ["x"] + Array(repeating: 0.5, count: 12) }, 400, "dense[0]"),
                ("history too long", mutated { j in var u = j["user"] as! [String: Any]; u["history"] = Array(repeating: 1, count: 40)
                    j["user"] = u }, 413, "user.history"),
            ]
            for (what, body, status, field) in cases {
                let r = try client.send("POST", "/score", body: body)
                XCTAssertEqual(r.status, status, "\(what): \(r.text)")
                XCTAssertTrue(r.text.contains(field), "\(what) should name \(field): \(r.text)")
                // The server keeps serving, on the same connection.
                let again = try client.send("POST", "/score", body: good)
                XCTAssertEqual(again.status, 200, "after \(what)")
            }
            json = [:]
            let health = try client.send("GET", "/health")
            XCTAssertEqual(health.status, 200)
            XCTAssertTrue(health.text.contains("\"ok\""), health.text)
            let metrics = try client.send("GET", "/metrics").text
            XCTAssertTrue(metrics.contains("strata_serve_requests_total{code=\"200\"} \(cases.count + 1)"), metrics)
            XCTAssertTrue(metrics.contains("strata_serve_requests_total{code=\"400\"} 7"), metrics)
            XCTAssertTrue(metrics.contains("strata_serve_requests_total{code=\"413\"} 2"), metrics)
            XCTAssertTrue(metrics.contains("strata_serve_request_seconds_bucket"), metrics)
            XCTAssertTrue(metrics.contains("strata_serve_queue_depth"), metrics)
        }
    }

    func testABodyOverTheLimitIs413() async throws {
        let served = try ServingFixtures.tinyModel()
        try await withServer(served, ServingConfig(instances: 1, threads: 1, subBatch: 0),
                             limits: RequestLimits(maxBodyBytes: 1000, maxCandidates: 256)) { port, _ in
            let client = try LoopbackConnection(port: port)
            let big = RequestGenerator(served: served, lookups: 1, historyLength: 6).body(candidates: 200, seed: 2, index: 0)
            XCTAssertGreaterThan(big.count, 1000)
            let r = try client.send("POST", "/score", body: big)
            XCTAssertEqual(r.status, 413, r.text)
            XCTAssertTrue(r.text.contains("body"), r.text)
        }
    }

    /// A slow model (wide bottom MLP), one instance, room for two requests:
    /// twelve at once shed with 503 + Retry-After, and the server recovers.
    func testAFullQueueShedsWith503AndRecovers() async throws {
        let served = try Self.slowModel(bottom: [1024, 512, 8], dense: 256)
        let generator = RequestGenerator(served: served, lookups: 1, historyLength: 4)
        let body = generator.body(candidates: 800, seed: 5, index: 0)
        try await withServer(served, ServingConfig(instances: 1, threads: 1, subBatch: 200, queueCapacity: 2),
                             limits: RequestLimits(maxCandidates: 1000)) { port, _ in
            let statuses = StatusLog()
            let threads = (0..<12).map { _ in
                Thread {
                    let r = try? LoopbackConnection(port: port).send("POST", "/score", body: body)
                    statuses.add(r?.status ?? -1, retryAfter: r?.headers["retry-after"])
                }
            }
            threads.forEach { $0.start() }
            while statuses.count < 12 { usleep(10_000) }
            let (codes, retry) = statuses.snapshot
            XCTAssertEqual(Set(codes).subtracting([200, 503]), [], "\(codes)")
            XCTAssertGreaterThanOrEqual(codes.filter { $0 == 503 }.count, 1, "\(codes)")
            XCTAssertGreaterThanOrEqual(codes.filter { $0 == 200 }.count, 2, "\(codes)")
            XCTAssertTrue(retry.allSatisfy { Int($0) ?? 0 >= 1 } && retry.count == codes.filter { $0 == 503 }.count, "\(retry)")
            // Recovered: the queue drained, requests are admitted again.
            let client = try LoopbackConnection(port: port)
            XCTAssertEqual(try client.send("POST", "/score", body: body).status, 200)
            XCTAssertTrue(try client.send("GET", "/metrics").text.contains("strata_serve_requests_total{code=\"503\"} \(codes.filter { $0 == 503 }.count)"))
        }
    }

    /// stop() (what SIGTERM triggers) answers an admitted request, then the port closes.
    func testGracefulStopAnswersWhatWasAdmitted() async throws {
        let served = try Self.slowModel(bottom: [1024, 512, 8], dense: 256)
        let body = RequestGenerator(served: served, lookups: 1, historyLength: 4).body(candidates: 800, seed: 5, index: 0)
        let limits = RequestLimits(maxCandidates: 1000)
        let service = ScoringService(served: served, config: ServingConfig(instances: 1, threads: 1, subBatch: 100), maxCandidates: 1000)
        let running = try await InferenceServer(service: service, limits: limits).start(host: "127.0.0.1", port: 0, signals: [])
        let port = running.port
        let statuses = StatusLog()
        let t = Thread { statuses.add((try? LoopbackConnection(port: port).send("POST", "/score", body: body))?.status ?? -1, retryAfter: nil) }
        t.start()
        while service.inFlight == 0 && statuses.count == 0 { usleep(1000) }
        try await running.stop()
        while statuses.count == 0 { usleep(1000) }
        XCTAssertEqual(statuses.snapshot.0, [200])
        XCTAssertThrowsError(try LoopbackConnection(port: port).send("GET", "/health"))
    }
}

final class StatusLog: @unchecked Sendable {
    private let lock = NSLock()
    private var codes: [Int] = []
    private var retry: [String] = []
    func add(_ code: Int, retryAfter: String?) {
        lock.lock(); codes.append(code); if let r = retryAfter { retry.append(r) }; lock.unlock()
    }
    var count: Int { lock.lock(); defer { lock.unlock() }; return codes.count }
    var snapshot: ([Int], [String]) { lock.lock(); defer { lock.unlock() }; return (codes, retry) }
}

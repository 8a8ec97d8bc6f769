import Serving
import ServingHTTP
import ServingTestSupport
import XCTest

/// The open-loop load generator against a real server on 127.0.0.1: every
/// scheduled request is sent and counted once, by what the server answered;
/// nothing answering counts as failed, never as a latency.
final class LoadGeneratorTests: XCTestCase {
    func start() async throws -> (InferenceServer.Running, RequestGenerator) {
        let served = try ServingFixtures.tinyModel()
        let service = ScoringService(served: served, config: ServingConfig(instances: 1, threads: 1, subBatch: 0), maxCandidates: 1024)
        let server = InferenceServer(service: service, limits: RequestLimits(maxCandidates: 1024))
        let running = try await server.start(host: "127.0.0.1", port: 0, signals: [])
        return (running, RequestGenerator(served: served, lookups: 1, historyLength: 4))
    }

    func testAModestRateIsAnsweredInFullWithOrderedPercentiles() async throws {
        let (running, generator) = try await start()
        let load = LoadGenerator(port: running.port, generator: generator, sizes: .normal, variants: 1, connections: 4, seed: 7)
        let r = load.run(LoadSpec(rate: 100, requests: 40, maxSeconds: 5, sizes: .normal, seed: 7))
        try await running.stop()
        XCTAssertEqual(r.sent, 40)
        XCTAssertEqual(r.ok, 40)
        XCTAssertEqual(r.shed + r.failed, 0)
        XCTAssertGreaterThan(r.p50Ms, 0)
        XCTAssertLessThanOrEqual(r.p50Ms, r.p95Ms)
        XCTAssertLessThanOrEqual(r.p95Ms, r.p99Ms)
        XCTAssertLessThanOrEqual(r.p99Ms, r.maxMs)
        XCTAssertGreaterThan(r.achievedRate, 0)
        XCTAssertEqual(r.tailSeconds(percentile: 99), r.p99Ms / 1000)
    }

    func testAPortNobodyListensOnCountsEveryRequestAsFailed() async throws {
        let (running, generator) = try await start()
        let port = running.port
        try await running.stop()
        let load = LoadGenerator(port: port, generator: generator, sizes: .normal, variants: 1, connections: 2, seed: 7)
        let r = load.run(LoadSpec(rate: 200, requests: 10, maxSeconds: 5, sizes: .normal, seed: 8))
        XCTAssertEqual(r.sent, 10)
        XCTAssertEqual(r.ok, 0)
        XCTAssertEqual(r.failed, 10)
        XCTAssertEqual(r.p99Ms, .infinity)
    }
}

#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Serving
import ServingHTTP
import ServingTestSupport
import XCTest

/// The server's two ends: a bind that fails ends `start` at once with the
/// address and the reason (it used to wait forever, deaf to SIGTERM), and a
/// signal in the middle of 150 concurrent requests drains: every request
/// gets a whole reply (200, or 503 once draining), none a reset or an empty one.
final class ServerLifecycleTests: XCTestCase {
    func testBindFailuresEndAtOnceNamingTheAddressAndTheReason() async throws {
        let served = try ServingFixtures.tinyModel()
        func server() -> InferenceServer {
            InferenceServer(service: ScoringService(served: served, config: ServingConfig(instances: 1, threads: 1, subBatch: 0), maxCandidates: 16),
                            limits: RequestLimits(maxCandidates: 16))
        }
        // Holds its port for the "in use" case; stopped once, at the end.
        let first = try await server().start(host: "127.0.0.1", port: 0, signals: [])
        let t0 = Date()
        for (host, port, reason) in [("127.0.0.1", first.port, "address already in use"), ("127.0.0.1", 70_000, "a port is 0...65535"),
                                     ("no-such-host.invalid", 8080, "")] {
            do {
                let r = try await server().start(host: host, port: port, signals: [])
                try await r.stop()
                XCTFail("\(host):\(port) bound")
            } catch {
                XCTAssertTrue("\(error)".hasPrefix("cannot listen on \(host):\(port): \(reason)"), "\(error)")
            }
        }
        XCTAssertLessThan(Date().timeIntervalSince(t0), 30)
        try await first.stop()
    }

    func testASignalInTheMiddleOf150RequestsDropsNone() async throws {
        let served = try ServerTests.slowModel(bottom: [256, 64, 8], dense: 64)
        let body = RequestGenerator(served: served, lookups: 1, historyLength: 4).body(candidates: 64, seed: 5, index: 0)
        let start = Date()
        for repetition in 0..<10 {
            let service = ScoringService(served: served, config: ServingConfig(instances: 1, threads: 1, subBatch: 32, queueCapacity: 64),
                                         maxCandidates: 64)
            let running = try await InferenceServer(service: service, limits: RequestLimits(maxCandidates: 64))
                .start(host: "127.0.0.1", port: 0, signals: [.sigusr1])
            let port = running.port, statuses = StatusLog(), connected = StatusLog()
            let go = DispatchSemaphore(value: 0)
            // Every connection is made before the signal.
            let threads = (0..<150).map { _ in
                Thread {
                    let connection = try? LoopbackConnection(port: port)
                    connected.add(connection == nil ? -1 : 0, retryAfter: nil)
                    go.wait()
                    let status = (try? connection?.send("POST", "/score", body: body))?.status ?? -1
                    statuses.add(status, retryAfter: nil)
                }
            }
            threads.forEach { $0.start() }
            while connected.count < 150 { usleep(1000) }
            // Half the requests go out, the signal lands once 10 are answered, then the
            // other half go out on connections the server accepted before the signal.
            for _ in 0..<75 { go.signal() }
            while statuses.count < 10 { usleep(500) }
            kill(getpid(), SIGUSR1)
            for _ in 0..<75 { go.signal() }
            try await running.wait()
            while statuses.count < 150 { usleep(1000) }
            let codes = statuses.snapshot.0
            XCTAssertEqual(connected.snapshot.0.filter { $0 != 0 }.count, 0, "repetition \(repetition): connections refused before the signal")
            XCTAssertEqual(codes.filter { $0 != 200 && $0 != 503 }, [], "repetition \(repetition): dropped or failed replies")
            XCTAssertGreaterThanOrEqual(codes.filter { $0 == 200 }.count, 10, "repetition \(repetition)")
            XCTAssertThrowsError(try LoopbackConnection(port: port).send("GET", "/health"), "repetition \(repetition): still listening")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 300)
    }
}

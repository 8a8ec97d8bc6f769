import XCTest
import Collectives
import Federated

/// The round watchdog's marks (round_timeout_seconds): every rank counts the
/// same rounds, server and hosts, in plain runs with federated evaluations
/// and in FEL (leaf rounds announced on the world, the baseline, the
/// over-arch), so their marks agree and rise together; a watched run trains
/// the same model as an unwatched one.
final class RoundWatchTests: XCTestCase {
    let unit = WatchUnit(noun: "round", key: "round_timeout_seconds")

    /// Each rank's count of rounds after `body`, with a watch that never fires.
    func counts(ranks: Int, _ body: @escaping (Communicator, PhaseWatch) throws -> Void) throws -> [Int] {
        try LocalCommunicator.run(worldSize: ranks) { comm -> Int in
            let watch = try XCTUnwrap(PhaseWatch.start(comm: comm, timeout: 600, directory: nil, unit: self.unit))
            defer { watch.stop() }
            try body(comm, watch)
            return watch.count
        }
    }

    func testEveryRankCountsEachRoundOfAPlainRunWithFederatedEvaluations() throws {
        let source = tinySource(population: 40)
        var cfg = tinyConfig(rounds: 4, k: 6)
        cfg.evalEvery = 1
        cfg.federatedEvalClients = 6
        let watchedModel = ModelBox()
        XCTAssertEqual(try counts(ranks: 3) { comm, watch in
            let out = try FederatedRun.run(comm: comm, config: cfg, source: source, directory: nil, watch: watch)
            if let model = out?.model { watchedModel.set(model) }
        }, [4, 4, 4])
        let plain = try LocalCommunicator.run(worldSize: 3) { comm in
            try FederatedRun.run(comm: comm, config: cfg, source: source, directory: nil)?.model
        }
        XCTAssertEqual(watchedModel.value, plain[0], "the watch changes nothing the run computes")
    }

    func testEveryRankCountsTheSameRoundsOfFEL() throws {
        let source = tinySource(population: 60)
        let (cfg, fel) = tinyFEL()
        let got = try counts(ranks: 3) { comm, watch in
            _ = try FELRun.run(comm: comm, config: cfg, fel: fel, source: source, directory: nil, watch: watch)
        }
        // 2 announced leaf rounds, 2 baseline rounds, 2 over-arch rounds, at least.
        XCTAssertGreaterThanOrEqual(got[0], 6, "\(got)")
        XCTAssertEqual(Set(got).count, 1, "every rank counts the same rounds: \(got)")
    }

    /// Rank 0's final model, from the rank thread that has it.
    final class ModelBox: @unchecked Sendable {
        private let lock = NSLock()
        private var model: [Float]?
        func set(_ m: [Float]) { lock.lock(); model = m; lock.unlock() }
        var value: [Float]? { lock.lock(); defer { lock.unlock() }; return model }
    }
}

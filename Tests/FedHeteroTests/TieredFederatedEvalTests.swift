import Collectives
import FedHetero
import Federated
import XCTest

/// RF^2's tiered runs evaluate on the clients too: through the tiered task
/// (which prunes and quantizes only updates), per RF^2 tier.
final class TieredFederatedEvalTests: XCTestCase {
    func testFederatedEvalPerRF2TierEqualsCentral() throws {
        let s = source(population: 60)
        var cfg = smallConfig(rounds: 2)
        cfg.evalClients = 60
        cfg.federatedEvalClients = 60
        var tc = TierConfig()
        tc.mapping = .random
        tc.optimizations.quantBits = [2, 0, 0]   // wraps the task in TieredTask
        XCTAssertTrue(tc.optimizations.touchesUpdates)
        let out = try LocalCommunicator.run(worldSize: 2) { comm in
            try TieredRun.run(comm: comm, config: cfg, tiers: tc, source: s, directory: nil)
        }
        let fl = try XCTUnwrap(out[0]).fl
        let central = try XCTUnwrap(fl.finalEval), fed = try XCTUnwrap(fl.finalFederatedEval)
        XCTAssertEqual(fed.count, central.count)
        XCTAssertEqual(fed.logloss, central.logloss, accuracy: 1e-9)
        let groups = try XCTUnwrap(fl.finalEvalGroups), fedGroups = try XCTUnwrap(fl.finalFederatedEvalGroups)
        for t in 0..<3 {
            let g = TieredRun.tierGroup(t)
            guard let q = groups[g] else { continue }
            XCTAssertEqual(fedGroups[g]?.logloss ?? .nan, q.logloss, accuracy: 1e-9, g)
        }
        XCTAssertTrue(fedGroups.keys.contains { $0.hasPrefix("rf2_tier:") })
        XCTAssertGreaterThan(fl.federatedEvalCost?.forwardFlops ?? 0, 0)
    }
}

import Collectives
import Federated
import Foundation
import XCTest

/// FEL's held-out slice: the leaves train on the leading part of each
/// client's training samples, the over-arch on the rest, the test split as before.
final class FELHoldoutTests: XCTestCase {
    func testSlicesPartitionTheTrainingSamples() throws {
        let source = tinySource(population: 10, samples: 30, spread: 0.6)
        let lead = TrainSlice(source, fraction: 0.25, part: .leading)
        let held = TrainSlice(source, fraction: 0.25, part: .heldOut)
        for c in 0..<10 {
            let d = try source.data(client: c), a = try lead.data(client: c), b = try held.data(client: c)
            XCTAssertEqual(a.train.appending(b.train), d.train, "leading then held out is the training data, in order")
            XCTAssertEqual(b.train.count, ClientData.testCount(d.train.count, fraction: 0.25))
            XCTAssertGreaterThan(b.train.count, 0)
            XCTAssertEqual(a.test, d.test)
            XCTAssertEqual(b.test, d.test)
            XCTAssertEqual(lead.trainCount(client: c), a.train.count)
            XCTAssertEqual(held.trainCount(client: c), b.train.count)
        }
    }

    /// Every leaf round trains on its participants' leading samples and every
    /// over-arch round on their held-out samples (rounds.jsonl's counts).
    func testLeavesAndOverArchTrainOnTheirParts() throws {
        let source = tinySource(population: 40, samples: 24, spread: 0.5)
        var cfg = tinyConfig(rounds: 2, k: 8)
        var fel = FELConfig()
        fel.k = 2
        fel.overRounds = 2
        fel.centralEpochs = 0
        fel.holdoutFraction = 0.25
        let dir = NSTemporaryDirectory() + "fel-holdout-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        cfg.evalClients = 40
        let out = try LocalCommunicator.run(worldSize: 2) { comm in
            try FELRun.run(comm: comm, config: cfg, fel: fel, source: source, directory: comm.rank == 0 ? dir : nil)
        }
        XCTAssertEqual(out[0]?.fel?.holdoutFraction, 0.25)
        let lead = TrainSlice(source, fraction: 0.25, part: .leading)
        let held = TrainSlice(source, fraction: 0.25, part: .heldOut)
        let lines = try String(contentsOfFile: dir + "/rounds.jsonl", encoding: .utf8).split(separator: "\n")
        var seen: Set<String> = []
        for line in lines {
            let r = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let name = r["federation"] as! String, parts = r["participants"] as! [Int], samples = r["samples"] as! Int
            let slice: ClientSource? = name == "over_arch" ? held : name.hasPrefix("leaf") ? lead : name == "fl" ? source : nil
            guard let slice else { return XCTFail("unexpected federation \(name)") }
            XCTAssertFalse(parts.isEmpty, name)
            XCTAssertEqual(samples, parts.reduce(0) { $0 + slice.trainCount(client: $1) }, name)
            seen.insert(name.hasPrefix("leaf") ? "leaf" : name)
        }
        XCTAssertEqual(seen, ["fl", "leaf", "over_arch"])
    }

    func testFractionIsRefusedOutsideItsRange() {
        var fel = FELConfig()
        for bad in [-0.1, 1, .nan] {
            fel.holdoutFraction = bad
            XCTAssertThrowsError(try fel.validate(population: 40)) { XCTAssertEqual(($0 as? FLConfigError)?.key, "fel.holdout_fraction") }
        }
        fel.holdoutFraction = 0.2
        XCTAssertNoThrow(try fel.validate(population: 40))
    }
}

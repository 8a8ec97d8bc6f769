import Federated
import XCTest

/// Device tiers as a config gives them (`device.tiers`): refused by key when
/// the simulation cannot use them, and used as given when it can.
final class DeviceTierTests: XCTestCase {
    func key(_ cfg: FederationConfig) -> String? {
        do { try cfg.validate(population: 40); return nil } catch { return (error as? FLConfigError)?.key }
    }

    func testBadTiersAreRefusedByKey() {
        var cfg = tinyConfig()
        let good = DeviceModel.defaultTiers[0]
        let bad: [(String, (inout DeviceTier) -> Void)] = [
            ("availability", { $0.availability = 1.5 }), ("gflops", { $0.gflops = 0 }), ("watts", { $0.idleWatts = -1 }),
            ("share", { $0.share = -0.1 }), ("name", { $0.name = "" }), ("NaN availability", { $0.availability = .nan }),
        ]
        for (what, change) in bad {
            var t = good
            change(&t)
            cfg.device = DeviceModel(tiers: [t, DeviceModel.defaultTiers[1]])
            XCTAssertEqual(key(cfg), "device.tiers", what)
        }
        cfg.device = DeviceModel(tiers: [good, good])
        XCTAssertEqual(key(cfg), "device.tiers", "two tiers of one name")
        var zero = good
        zero.share = 0
        cfg.device = DeviceModel(tiers: [zero])
        XCTAssertEqual(key(cfg), "device.tiers", "no share")
        cfg.device = DeviceModel(tiers: [])
        XCTAssertEqual(key(cfg), "device.tiers", "no tier")
        cfg.device = DeviceModel(interference: 1.2)
        XCTAssertEqual(key(cfg), "device.interference")
        cfg.device = DeviceModel()
        XCTAssertNil(key(cfg))
    }

    /// Clients fall only in the given tiers, in about their shares, and a
    /// slower tier computes slower.
    func testCustomTiersAssignByShare() {
        let fast = DeviceTier(name: "tablet", share: 3, gflops: 30, downMbps: 100, upMbps: 40, trainWatts: 6, netWatts: 1.5,
                              idleWatts: 0.6, availability: 1)
        let slow = DeviceTier(name: "watch", share: 1, gflops: 0.5, downMbps: 2, upMbps: 1, trainWatts: 0.5, netWatts: 0.3,
                              idleWatts: 0.05, availability: 1)
        let dev = DeviceModel(tiers: [fast, slow], seed: 3)
        let counts = (0..<4000).reduce(into: [0, 0]) { $0[dev.tier(of: $1)] += 1 }
        XCTAssertEqual(Double(counts[0]) / 4000, 0.75, accuracy: 0.03)
        let a = dev.simulate(client: (0..<4000).first { dev.tier(of: $0) == 0 }!, round: 1, flops: 1e9, downBytes: 0, upBytes: 0)
        let b = dev.simulate(client: (0..<4000).first { dev.tier(of: $0) == 1 }!, round: 1, flops: 1e9, downBytes: 0, upBytes: 0)
        XCTAssertGreaterThan(b.computeSeconds, 10 * a.computeSeconds, "a 60x slower tier computes far slower")
        XCTAssertEqual(FederatedRun.groups({ var c = tinyConfig(); c.device = dev; return c }(), tinySource())(0).first?.hasPrefix("tier:"), true)
    }
}

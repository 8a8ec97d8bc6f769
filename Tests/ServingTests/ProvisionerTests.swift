import Serving
import XCTest

/// Stage 2 on hand-made fleets with known answers, and on a synthetic day.
final class ProvisionerTests: XCTestCase {
    /// Type A is fast for both models but scarce; model y loses 5x off A,
    /// model x only 10 %. Greedy (largest demand first, fastest type first)
    /// gives A to x; the known optimum gives A to y.
    ///     greedy:  x 5 A + 5 B (95 QPS >= 90), y 25 B  -> 35 servers, 3500 W
    ///     optimum: y 5 A (50), x 10 B (90)             -> 15 servers, 1500 W
    func testHerculesBeatsGreedyOnAFleetWithAKnownAnswer() throws {
        let p = ProvisioningProblem(models: ["x", "y"],
                                    types: [ServerType(name: "A", watts: 100, available: 5), ServerType(name: "B", watts: 100, available: 100)],
                                    qps: [[10, 9], [10, 2]], demand: [[90, 50]])
        let greedy = try p.provision(.greedy), aware = try p.provision(.hercules)
        XCTAssertEqual(greedy.slots[0].servers, [[5, 5], [0, 25]])
        XCTAssertEqual(greedy.peakServers, 35)
        XCTAssertEqual(aware.slots[0].servers, [[0, 10], [5, 0]])
        XCTAssertEqual(aware.peakServers, 15)
        XCTAssertEqual(aware.peakWatts, 1500)
    }

    /// Power, not count: a frugal type serves x at 6 QPS for 40 W (0.15 QPS/W)
    /// against the big type's 10 QPS for 100 W. Exact optimum for 60 QPS of x
    /// with 8 frugal servers: 7 frugal (42) + 2 big (20) = 480 W (all 8 frugal
    /// would still need 2 big); greedy takes 6 big = 600 W.
    func testHerculesMinimisesPowerExactly() throws {
        let p = ProvisioningProblem(models: ["x"],
                                    types: [ServerType(name: "big", watts: 100, available: 50), ServerType(name: "frugal", watts: 40, available: 8)],
                                    qps: [[10, 6]], demand: [[60]])
        XCTAssertEqual(try p.provision(.greedy).peakWatts, 600)
        let aware = try p.provision(.hercules)
        XCTAssertEqual(aware.slots[0].servers, [[2, 7]])
        XCTAssertEqual(aware.peakWatts, 480)
        // Brute force over every (big, frugal) pair agrees.
        var best = Double.infinity
        for b in 0...50 { for f in 0...8 where Double(b) * 10 + Double(f) * 6 >= 60 { best = min(best, Double(b) * 100 + Double(f) * 40) } }
        XCTAssertEqual(aware.peakWatts, best)
    }

    /// A day of 24 slots, 3 models, 3 types: both schedulers meet every slot's
    /// demand within the fleet, and the aware one never provisions more power.
    func testEverySlotMeetsDemandOnASyntheticDay() throws {
        let day = DiurnalLoad.synthetic(models: 3, peaks: [400, 250, 120], slots: 24, seed: 7)
        let p = ProvisioningProblem(models: ["a", "b", "c"],
                                    types: [ServerType(name: "hbm", watts: 450, available: 6), ServerType(name: "clx", watts: 280, available: 40),
                                            ServerType(name: "bdw", watts: 180, available: 60)],
                                    qps: [[90, 30, 18], [60, 45, 28], [40, 35, 20]], demand: day)
        let greedy = try p.provision(.greedy), aware = try p.provision(.hercules)
        for outcome in [greedy, aware] {
            for (s, a) in outcome.slots.enumerated() {
                for m in 0..<3 { XCTAssertGreaterThanOrEqual(a.capacity(model: m, p), day[s][m], "\(outcome.scheduler) slot \(s)") }
                for t in 0..<3 { XCTAssertLessThanOrEqual(a.count(type: t), p.types[t].available) }
            }
        }
        for s in 0..<24 { XCTAssertLessThanOrEqual(aware.slots[s].watts(p.types), greedy.slots[s].watts(p.types) + 1e-9, "slot \(s)") }
        XCTAssertLessThan(aware.peakWatts, greedy.peakWatts)
    }

    func testAFleetTooSmallIsAClearError() {
        let p = ProvisioningProblem(models: ["x"], types: [ServerType(name: "A", watts: 100, available: 2)], qps: [[10]], demand: [[50]])
        for s in Scheduler.allCases {
            XCTAssertThrowsError(try p.provision(s)) { XCTAssertTrue("\($0)".contains("cannot serve x"), "\($0)") }
        }
    }
}

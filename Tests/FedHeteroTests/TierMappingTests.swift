import FedHetero
import Federated
import XCTest

final class TierMappingTests: XCTestCase {
    /// Weighted share of an item's users in its majority tier (items with >= 5 users).
    func concentration(_ a: TierAssignment, _ clicks: [[Int]]) -> Double {
        var users: [Int: [Int]] = [:]
        for (u, items) in clicks.enumerated() { for i in items { users[i, default: []].append(u) } }
        var top = 0, all = 0
        for (_, us) in users where us.count >= 5 {
            var c = [0, 0, 0]
            for u in us { c[a.tier(of: u)] += 1 }
            top += c.max()!
            all += us.count
        }
        return Double(top) / Double(all)
    }

    /// Pearson chi-square of the tier against the user's ground-truth cluster.
    func chiSquare(_ a: TierAssignment, _ s: SyntheticClients) -> Double {
        let g = s.config.clusters
        var table = [[Double]](repeating: [Double](repeating: 0, count: g), count: 3)
        for u in 0..<s.population { table[a.tier(of: u)][s.cluster(ofUser: u)] += 1 }
        let n = Double(s.population)
        var chi = 0.0
        for t in 0..<3 {
            for c in 0..<g {
                let e = table[t].reduce(0, +) * table.map { $0[c] }.reduce(0, +) / n
                if e > 0 { chi += (table[t][c] - e) * (table[t][c] - e) / e }
            }
        }
        return chi
    }

    func testDirichletKeepsTiersBalancedAndConcentratesAsAlphaFalls() throws {
        let s = source()
        let clicks = try (0..<s.population).map { try TierAssignment.clicks(s, client: $0) }
        var conc: [Double] = []
        for alpha in [100.0, 1.0, 0.005] {
            let a = TierAssignment.dirichlet(clicks: clicks, alpha: alpha, seed: 3)
            XCTAssertEqual(a.tiers.count, s.population)
            // Stated balance: every tier holds between 25 % and 42 % of the users.
            for size in a.sizes {
                XCTAssertGreaterThan(Double(size), 0.25 * Double(s.population), "alpha \(alpha): sizes \(a.sizes)")
                XCTAssertLessThan(Double(size), 0.42 * Double(s.population), "alpha \(alpha): sizes \(a.sizes)")
            }
            conc.append(concentration(a, clicks))
        }
        XCTAssertLessThan(conc[0], conc[1], "\(conc)")
        XCTAssertLessThan(conc[1], conc[2], "\(conc)")
    }

    func testRandomIsIndependentOfTheData() throws {
        let s = source(population: 600, clusters: 4)
        // df = (3 - 1)(4 - 1) = 6; the 0.001 critical value is 22.46.
        let random = try TierAssignment.build(.random, source: s, seed: 5)
        XCTAssertLessThan(chiSquare(random, s), 22.46)
    }

    func testMappingsRepeatBySeed() throws {
        let s = source(population: 200)
        // alpha 1: the draws matter (at alpha 0.005 nearly every item goes whole to one tier, whatever the seed).
        for m in [TierMapping.random, .dirichlet(alpha: 1)] {
            let a = try TierAssignment.build(m, source: s, seed: 9), b = try TierAssignment.build(m, source: s, seed: 9)
            let c = try TierAssignment.build(m, source: s, seed: 10)
            XCTAssertEqual(a, b)
            XCTAssertNotEqual(a, c)
        }
    }

    func testUsersWithoutClicksAreDealtAsOneItem() {
        // Users 0-2 click item 1, users 3-5 nothing; alpha tiny: each group lands whole in one tier.
        let clicks: [[Int]] = [[1], [1], [1], [], [], []]
        let a = TierAssignment.dirichlet(clicks: clicks, alpha: 1e-4, seed: 1)
        XCTAssertEqual(Set(a.tiers[0..<3]).count, 1)
        XCTAssertEqual(Set(a.tiers[3..<6]).count, 1)
        XCTAssertNotEqual(a.tiers[0], a.tiers[3], "the second group goes to a smaller tier")
    }
}

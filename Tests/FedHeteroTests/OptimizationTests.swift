import Collectives
import FedHetero
import Federated
import Foundation
import Tensors
import XCTest

final class OptimizationTests: XCTestCase {
    func testPruningZeroesExactlyTheFraction() {
        var rng = StrataRNG(seed: 4)
        var x = (0..<1000).map { Float($0) + 1 }
        let dropped = x.withUnsafeMutableBufferPointer { UpdateCompression.prune($0.baseAddress!, count: 1000, fraction: 0.37, rng: &rng) }
        XCTAssertEqual(dropped, 370)
        XCTAssertEqual(x.filter { $0 == 0 }.count, 370)
        // The kept values are untouched.
        for (i, v) in x.enumerated() where v != 0 { XCTAssertEqual(v, Float(i) + 1) }
    }

    func testQuantizationIsBoundedOnTheLevelsAndUnbiased() {
        var rng = StrataRNG(seed: 5)
        let x0 = (0..<4000).map { _ in Float(rng.nextNormal()) }
        let lo = x0.min()!, hi = x0.max()!
        for bits in [1, 2, 4, 8] {
            var x = x0
            x.withUnsafeMutableBufferPointer { UpdateCompression.quantize($0.baseAddress!, count: $0.count, bits: bits, rng: &rng) }
            let step = Double(hi - lo) / Double((1 << bits) - 1)
            var levels = Set<Int>(), bias = 0.0
            for i in x.indices {
                XCTAssertLessThan(abs(Double(x[i] - x0[i])), step * (1 + 1e-5), "bits \(bits)")
                levels.insert(Int(((Double(x[i] - lo)) / step).rounded()))
                bias += Double(x[i] - x0[i])
            }
            XCTAssertLessThanOrEqual(levels.count, 1 << bits)
            // Unbiased: the mean error shrinks like step / sqrt(n) (bound: 4 sigma of a uniform-ish error).
            XCTAssertLessThan(abs(bias / Double(x.count)), 4 * step / (2 * Double(x.count).squareRoot()), "bits \(bits)")
        }
    }

    func testOverSelectionDropsTheLowTierFirst() {
        let tiers = TierAssignment(tiers: [0, 2, 1, 0, 2, 1, 0, 1])
        var opt = TierOptimizations()
        opt.overSelect = 0.5
        let sel = TieredSelection(tiers: tiers, optimizations: opt)
        XCTAssertEqual(sel.asked(4, pool: 8), 6)
        // Sampled [6 (t0), 2 (t1), 0 (t0), 1 (t2), 5 (t1), 3 (t0)]: keep 4 = both t1, the t2, then the first t0 sampled.
        XCTAssertEqual(sel.keep([6, 2, 0, 1, 5, 3], k: 4), [6, 2, 1, 5])
    }

    func testMDACOnHandMadeNumbers() {
        let rho = Fairness.rho(optimized: [0.66, 0.72, 0.81], baseline: [0.60, 0.80, 0.75])
        XCTAssertEqual(rho[0], 0.1, accuracy: 1e-12)
        XCTAssertEqual(rho[1], -0.1, accuracy: 1e-12)
        XCTAssertEqual(rho[2], 0.08, accuracy: 1e-12)
        XCTAssertEqual(Fairness.mdac(rho), 0.2, accuracy: 1e-12)
        XCTAssertEqual(Fairness.mdac([0.01, 0.01, 0.01]), 0)
    }

    func testExcludedTierNeverTrainsButIsEvaluated() throws {
        var opt = TierOptimizations()
        opt.excludeLowTier = true
        let (summary, recs, tiers) = try tieredRun(opt, rounds: 4)
        let trained = recs.flatMap { $0["participants"] as! [Int] }
        XCTAssertEqual(trained.count, 4 * 6)
        XCTAssertFalse(trained.contains { tiers.tier(of: $0) == 0 })
        XCTAssertNotNil(summary.tierAUC[0], "the low tier is still evaluated")
        XCTAssertEqual(summary.optimization, "exclude_low")
    }

    func testOverSelectedRunTrainsKPreferringHighTiers() throws {
        var opt = TierOptimizations()
        opt.overSelect = 1.0
        let (_, recs, tiers) = try tieredRun(opt)
        for r in recs {
            let p = r["participants"] as! [Int]
            XCTAssertEqual(p.count, 6)
            XCTAssertEqual(Set(p), Set(r["sampled"] as! [Int]))
        }
        let (_, plain, _) = try tieredRun(TierOptimizations())
        func lowShare(_ rs: [[String: Any]]) -> Double {
            let p = rs.flatMap { $0["participants"] as! [Int] }
            return Double(p.filter { tiers.tier(of: $0) == 0 }.count) / Double(p.count)
        }
        XCTAssertLessThan(lowShare(recs), lowShare(plain))
    }

    func testTieredTaskPrunesAndQuantizesByTier() throws {
        let s = source(population: 60)
        let cfg = smallConfig()
        let model = ClientModel(spec: cfg.model.spec(for: s), maxBatch: 32, seed: 1)
        let tiers = TierAssignment(tiers: (0..<60).map { UInt8($0 % 3) })
        var opt = TierOptimizations()
        opt.pruneFraction = [0.5, 0, 0]
        opt.quantBits = [0, 2, 0]
        let task = TieredTask(inner: DLRMTask(source: s, model: model, seed: 1), tiers: tiers, optimizations: opt, seed: 1)
        let plain = DLRMTask(source: s, model: ClientModel(spec: cfg.model.spec(for: s), maxBatch: 32, seed: 1), seed: 1)
        let w = model.flat()
        for client in 0..<3 {
            var a = [Float](repeating: 0, count: w.count), b = a, sa: [Int] = [], sb: [Int] = []
            _ = try w.withUnsafeBufferPointer { g in
                try a.withUnsafeMutableBufferPointer { try task.train(client: client, round: 1, config: cfg.client, global: g.baseAddress!, payload: [], update: $0.baseAddress!, segments: &sa) }
            }
            _ = try w.withUnsafeBufferPointer { g in
                try b.withUnsafeMutableBufferPointer { try plain.train(client: client, round: 1, config: cfg.client, global: g.baseAddress!, payload: [], update: $0.baseAddress!, segments: &sb) }
            }
            XCTAssertEqual(sa, sb)
            let n = stride(from: 1, to: sa.count, by: 2).reduce(0) { $0 + sa[$1] }
            let pa = Array(a[0..<n]), pb = Array(b[0..<n])
            switch client {
            case 0:  // tier 0: half the values zeroed, the rest as trained
                let half = Int((0.5 * Double(n)).rounded())
                let zerosA = pa.filter { $0 == 0 }.count, zerosB = pb.filter { $0 == 0 }.count
                XCTAssertGreaterThanOrEqual(zerosA, half)
                XCTAssertLessThanOrEqual(zerosA, half + zerosB)
                XCTAssertTrue(zip(pa, pb).allSatisfy { $0.0 == 0 || $0.0 == $0.1 })
            case 1:  // tier 1: at most 4 distinct values
                XCTAssertLessThanOrEqual(Set(pa).count, 4)
            default: XCTAssertEqual(pa, pb)
            }
        }
    }
}

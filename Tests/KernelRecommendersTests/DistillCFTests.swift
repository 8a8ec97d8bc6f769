import Collectives
import XCTest
import KernelRecommenders

/// Distill-CF end to end on a small data set: the loss falls, the binary
/// summary trains ∞-AE, seeded runs repeat exactly, and 2 ranks equal one.
final class DistillCFTests: XCTestCase {
    func testLossFallsAndRunsRepeat() throws {
        let d = try WorldEquivalenceTests.data(users: 30, items: 25, seed: 11)
        var config = DistillConfig()
        config.steps = 30
        config.draws = 20
        config.evalEvery = 10
        config.learningRate = 0.1
        var iae = InfiniteAEConfig()
        iae.ks = [3, 10]
        iae.lambdas = [0.1, 1]
        let (summary, r) = try DistillCF.run(d, size: 4, config: config, iae: iae, comm: LocalCommunicator())
        XCTAssertLessThan(r.lastLoss, r.firstLoss, "the distillation loss did not fall")
        XCTAssertEqual(summary.rows, 4)
        XCTAssertGreaterThan(summary.nonZeros, 0)
        XCTAssertNotNil(r.random); XCTAssertNotNil(r.mostActive)
        // Random users over 5 seeds: the first seed's run is one of them.
        let spread = try XCTUnwrap(r.randomSpread)
        XCTAssertEqual(spread.seeds, 5)
        XCTAssertLessThanOrEqual(spread.min, spread.mean); XCTAssertLessThanOrEqual(spread.mean, spread.max)
        let first = r.random!.test.ndcg(at: 3)
        XCTAssertTrue(spread.min <= first && first <= spread.max)
        let again = try DistillCF.run(d, size: 4, config: config, iae: iae, comm: LocalCommunicator())
        XCTAssertEqual(again.summary, summary)
        XCTAssertEqual(again.result.lastLoss, r.lastLoss)
        let two = try LocalCommunicator.run(worldSize: 2) { try DistillCF.run(d, size: 4, config: config, iae: iae, comm: $0) }
        for (s, x) in two {
            XCTAssertEqual(s, summary)
            XCTAssertEqual(x.lastLoss, r.lastLoss, accuracy: 1e-9)
            for (a, b) in zip(x.distilled.test.ndcg, r.distilled.test.ndcg) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        }
    }

    /// The released schedule: 25, 50, ..., 200, every `evalEvery`, and the last step.
    func testValidationSchedule() {
        var c = DistillConfig()
        c.steps = 330
        XCTAssertEqual((1...330).filter(c.validates), [25, 40, 50, 75, 80, 100, 120, 125, 150, 160, 175, 200, 240, 280, 320, 330])
    }

    /// The continuous summary is what ∞-AE is validated on (binary only with
    /// `binarySummary`); λ is re-picked from the grid at every validation;
    /// patience stops the run at the first validation that is `patience`
    /// steps past the best without improving on it.
    func testContinuousSummaryLambdaRepickAndPatience() throws {
        let d = try WorldEquivalenceTests.data(users: 30, items: 25, seed: 11)
        var config = DistillConfig()
        (config.steps, config.draws, config.evalEvery, config.learningRate, config.patience) = (60, 10, 5, 0.2, 10)
        var iae = InfiniteAEConfig()
        iae.ks = [3, 10]
        iae.lambdas = [0.1, 1, 5]
        var records: [DistillStep] = []
        let cont = try DistillCF.distill(d, size: 4, config: config, iae: iae, comm: LocalCommunicator()) { records.append($0) }
        XCTAssertNotNil(cont.summary.values, "the validated summary is the continuous sample")
        XCTAssertTrue(cont.summary.values!.allSatisfy { $0 > 0 && $0 <= 1 })
        XCTAssertNil(cont.export.values)
        let validations = records.filter { $0.validationHitRate != nil }
        XCTAssertTrue(validations.allSatisfy { iae.lambdas.contains($0.lambda!) })
        // Patience: walk the validations as the loop should.
        var best = (hr: -1.0, step: 0), stop: Int?
        for v in validations {
            if v.validationHitRate! > best.hr { best = (v.validationHitRate!, v.step) } else if v.step - best.step >= 10 { stop = v.step; break }
        }
        XCTAssertEqual(cont.stoppedAt, stop ?? 60)
        XCTAssertEqual(cont.bestStep, best.step)
        XCTAssertEqual(records.last!.step, cont.stoppedAt)
        config.binarySummary = true
        let binary = try DistillCF.distill(d, size: 4, config: config, iae: iae, comm: LocalCommunicator())
        XCTAssertNil(binary.summary.values)
        XCTAssertEqual(binary.summary, binary.export)
    }

    /// The search tests only the candidate with the best validation HR.
    func testSearchSelectsOnValidation() throws {
        let d = try WorldEquivalenceTests.data(users: 30, items: 25, seed: 11)
        var config = DistillConfig()
        (config.steps, config.evalEvery, config.baselines) = (20, 10, false)
        var iae = InfiniteAEConfig()
        iae.ks = [3, 10]
        iae.lambdas = [0.1, 1]
        var seen: [(Double, Int, Double)] = []
        let (_, r) = try DistillCF.search(d, size: 4, config: config, temperatures: [0.3, 5], cardinalityRegs: [1e-3], draws: [5, 15],
                                          iae: iae, comm: LocalCommunicator()) { c, x in seen.append((c.temperature, c.draws, x.validationHitRate)) }
        XCTAssertEqual(seen.count, 4)
        let winner = seen.max { $0.2 < $1.2 }!
        XCTAssertEqual(r.validationHitRate, winner.2)
        XCTAssertEqual(seen.first { $0.2 == r.validationHitRate }!.0, r.temperature)
    }

    /// Fresh noise: τ log(exp(g/τ)) is Gumbel(0, 1) (mean γ ≈ 0.5772, variance
    /// π²/6); steps, rows and draws get different values, the same coordinates the same.
    func testGumbelNoiseIsFreshAndGumbelDistributed() {
        let g = GumbelDraws(temperature: 0.5, draws: 1, items: 40_000, seed: 9)
        var a = [Double](repeating: 0, count: 40_000), b = a, c = a
        g.noise(step: 1, row: 0, draw: 0, items: 40_000, into: &a)
        g.noise(step: 2, row: 0, draw: 0, items: 40_000, into: &b)
        g.noise(step: 1, row: 0, draw: 0, items: 40_000, into: &c)
        XCTAssertEqual(a, c)
        XCTAssertNotEqual(a, b)
        let x = a.map { 0.5 * log($0) }
        let mean = x.reduce(0, +) / Double(x.count)
        let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count)
        XCTAssertEqual(mean, 0.5772, accuracy: 0.03)
        XCTAssertEqual(variance, Double.pi * Double.pi / 6, accuracy: 0.1)
    }

    func testMostActiveAndRandomSubsets() {
        let train = SparseRows(columns: 5, rows: [[0], [0, 1, 2], [1, 2], [0, 1, 2, 3], []])
        XCTAssertEqual(DistillCF.mostActiveUsers(train, count: 2), [1, 3])
        let r = DistillCF.randomUsers(100, count: 10, seed: 3)
        XCTAssertEqual(Set(r).count, 10)
        XCTAssertEqual(r, DistillCF.randomUsers(100, count: 10, seed: 3))
        XCTAssertNotEqual(r, DistillCF.randomUsers(100, count: 10, seed: 4))
    }
}

/// The Distill-CF curve: one path per series, every number finite.
final class DistillCurveTests: XCTestCase {
    func testCurveLeavesOutNaNPoints() {
        func result(_ ndcg: Double, users: Int) -> InfiniteAEResult {
            InfiniteAEResult(fitUsers: users, lambdas: [], chosenLambda: 1,
                             test: RankingMetrics(ks: [10], hitRate: [0], ndcg: [ndcg], psp: [0], auc: 0.5, users: 1), timings: [:])
        }
        let sizes = [10, 50, 200].map { m in
            DistillSizeResult(size: m, trainLambda: 1, bestStep: 1, summaryInteractions: 1, firstLoss: 2, lastLoss: 1,
                              distilled: result(0.1 + Double(m) / 1000, users: m), random: result(0.1, users: m),
                              mostActive: result(.nan, users: m), seconds: 1)
        }
        let svg = DistillCurve.svg(sizes, full: result(0.3, users: 610))
        XCTAssertTrue(svg.hasPrefix("<?xml") && svg.hasSuffix("</svg>\n"))
        // Four series in the legend; the most-active one is all NaN here, so it draws no path.
        XCTAssertEqual(svg.components(separatedBy: "class=\"legend-text\"").count - 1, 4)
        XCTAssertEqual(svg.components(separatedBy: "class=\"series\"").count - 1, 3)
        XCTAssertFalse(svg.lowercased().contains("nan"))
        XCTAssertTrue(svg.contains("full data (610 users)"))
    }
}

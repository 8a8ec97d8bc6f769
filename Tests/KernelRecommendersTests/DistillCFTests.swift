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

import Collectives
import XCTest
@testable import KernelRecommenders

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

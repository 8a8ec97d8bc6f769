import Collectives
import XCTest
import KernelRecommenders

/// Metric definitions on hand-made rankings with answers worked out by hand.
final class RankingMetricsTests: XCTestCase {
    func testHitRateNDCGAndPSP() {
        // Ranked [5, 1, 7, 2]; targets {1, 2, 9}; k = 2 and 4. Inverse propensities: item i has i + 1.
        let props = (0..<10).map { Double($0 + 1) }
        let m = RankingMetrics.user(ranked: [5, 1, 7, 2], targets: [1, 2, 9], inversePropensity: props, ks: [2, 4])
        // k = 2: one hit (item 1 at rank 2) of min(3, 2) = 2.
        XCTAssertEqual(m.hitRate[0], 0.5, accuracy: 1e-12)
        XCTAssertEqual(m.ndcg[0], (1 / log2(3.0)) / (1 + 1 / log2(3.0)), accuracy: 1e-12)
        // PSP@2 = (prop(1) / 2) / (prop(9) + prop(2)) = (2 / 2) / (10 + 3).
        XCTAssertEqual(m.psp[0], 1.0 / 13, accuracy: 1e-12)
        // k = 4: hits 1 (rank 2) and 2 (rank 4) of min(3, 4) = 3.
        XCTAssertEqual(m.hitRate[1], 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(m.ndcg[1], (1 / log2(3.0) + 1 / log2(5.0)) / (1 + 1 / log2(3.0) + 0.5), accuracy: 1e-12)
        XCTAssertEqual(m.psp[1], ((2.0 + 3) / 3) / (10 + 3 + 2), accuracy: 1e-12)
        // A perfect ranking scores 1 on HR and nDCG.
        let p = RankingMetrics.user(ranked: [9, 2, 1], targets: [1, 2, 9], inversePropensity: props, ks: [3])
        XCTAssertEqual(p.hitRate[0], 1); XCTAssertEqual(p.ndcg[0], 1, accuracy: 1e-12)
    }

    /// The evaluator's averages on three users worked by hand: user 1's target
    /// 0 is also a context item (train and test both hold it), so it is never
    /// ranked but still counts among its targets; user 2 has no target, which
    /// the average over users with a target leaves out and the released
    /// eval.py's average over every user counts as 0.
    func testAveragesOverUsersWithATargetAndOverEveryUser() {
        let scores: [[Double]] = [[0.4, 0.9, 0.1, 0.2], [0.9, 0.8, 0.7, 0.6], [0.1, 0.2, 0.3, 0.4]]
        let targets = SparseRows(columns: 4, rows: [[1], [0, 2], []])
        let set = EvaluationSet(excluded: SparseRows(columns: 4, rows: [[], [0], []]), targets: targets,
                                known: SparseRows(columns: 4, rows: [[1], [0, 2], []]), firstUser: 0)
        let evaluator = RankingEvaluator(ks: [1, 2], inversePropensity: [1, 1, 1, 1], aucNegatives: 1, seed: 3, blockRows: 2)
        let m = evaluator.evaluate(set, comm: LocalCommunicator()) { rows, out in
            for (i, u) in rows.enumerated() { for j in 0..<4 { out[i * 4 + j] = scores[u][j] } }
        }
        // User 0 ranks [1, 0, 3, 2]: every metric 1. User 1 ranks [1, 2, 3] (0 excluded):
        // HR@1 0, HR@2 1/2, nDCG@2 g, PSP@2 (1/2)/2.
        let g = (1 / log2(3.0)) / (1 + 1 / log2(3.0))
        XCTAssertEqual(m.users, 2); XCTAssertEqual(m.allUsers, 3)
        for (got, want) in zip(m.hitRate + m.ndcg + m.psp, [0.5, 0.75, 0.5, (1 + g) / 2, 0.5, 0.625]) {
            XCTAssertEqual(got, want, accuracy: 1e-12)
        }
        let all = m.overAllUsers
        for (got, want) in zip(all.hitRate + all.ndcg + all.psp, [1.0 / 3, 0.5, 1.0 / 3, (1 + g) / 3, 1.0 / 3, 1.25 / 3]) {
            XCTAssertEqual(got, want, accuracy: 1e-12)
        }
    }

    func testAUC() {
        XCTAssertEqual(RankingMetrics.auc(scores: [0.9, 0.8, 0.1, 0.2], labels: [true, true, false, false]), 1)
        XCTAssertEqual(RankingMetrics.auc(scores: [0.1, 0.2, 0.9, 0.8], labels: [true, true, false, false]), 0)
        // One positive above one of two negatives: 1/2; a tie counts half.
        XCTAssertEqual(RankingMetrics.auc(scores: [0.5, 0.9, 0.1], labels: [true, false, false]), 0.5)
        XCTAssertEqual(RankingMetrics.auc(scores: [0.5, 0.5], labels: [true, false]), 0.5)
        XCTAssertTrue(RankingMetrics.auc(scores: [1], labels: [true]).isNaN)
    }

    func testTopKSkipsExcludedAndBreaksTiesByIndex() {
        let s: [Double] = [0.3, -.infinity, 0.9, 0.3, 0.5, 0.9]
        XCTAssertEqual(s.withUnsafeBufferPointer { topK($0.baseAddress!, count: 6, k: 4) }, [2, 5, 4, 0])
        XCTAssertEqual(s.withUnsafeBufferPointer { topK($0.baseAddress!, count: 6, k: 10) }, [2, 5, 4, 0, 3])
    }

    func testInversePropensities() {
        let w = RankingMetrics.inversePropensities(itemCounts: [0, 10, 100])
        let c = (log(110.0) - 1) * pow(2.5, 0.55)
        XCTAssertEqual(w[1], 1 + c * pow(11.5, -0.55), accuracy: 1e-12)
        XCTAssertGreaterThan(w[0], w[1]); XCTAssertGreaterThan(w[1], w[2])
    }
}

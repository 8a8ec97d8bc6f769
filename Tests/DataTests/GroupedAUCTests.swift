import XCTest
import Data

/// GAUC (`BinaryMetrics.groupedAUC`) against a pairwise-count oracle.
final class GroupedAUCTests: XCTestCase {
    /// Per group: positive-negative pairs ordered right, ties half, over all pairs.
    func oracle(_ s: [Double], _ y: [Float], _ g: [Int]) -> (Double, Int) {
        var num = 0.0, den = 0.0, n = 0
        for group in Set(g).sorted() {
            let idx = g.indices.filter { g[$0] == group }
            var right = 0.0, pairs = 0.0
            for i in idx where y[i] == 1 {
                for j in idx where y[j] == 0 {
                    pairs += 1
                    right += s[i] > s[j] ? 1 : (s[i] == s[j] ? 0.5 : 0)
                }
            }
            guard pairs > 0 else { continue }
            num += Double(idx.count) * right / pairs
            den += Double(idx.count)
            n += 1
        }
        return (num / den, n)
    }

    func testHandMadeGroups() {
        // group 1: AUC 1 over 4 samples; group 2: AUC 0 over 2; group 3: one label, left out
        let r = BinaryMetrics.groupedAUC(scores: [0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.5],
                                         labels: [0, 1, 0, 1, 1, 0, 1], groups: [1, 1, 1, 1, 2, 2, 3])
        XCTAssertEqual(r.auc, 4.0 / 6.0, accuracy: 1e-15)
        XCTAssertEqual(r.groups, 2)
        // One group is the pooled AUC.
        let s: [Double] = [0.3, 0.3, 0.9, 0.1, 0.5], y: [Float] = [1, 0, 1, 0, 0]
        XCTAssertEqual(BinaryMetrics.groupedAUC(scores: s, labels: y, groups: [4, 4, 4, 4, 4]).auc,
                       BinaryMetrics.auc(scores: s, labels: y))
        // No group with both labels: no GAUC.
        XCTAssertTrue(BinaryMetrics.groupedAUC(scores: [1, 2], labels: [1, 1], groups: [0, 1]).auc.isNaN)
    }

    func testSeededAgainstThePairwiseOracle() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        for _ in 0..<20 {
            let n = 50 + Int(next() % 150)
            let s = (0..<n).map { _ in Double(next() % 40) / 40 }   // coarse, so ties occur
            let y = (0..<n).map { _ in Float(next() % 3 == 0 ? 1 : 0) }
            let g = (0..<n).map { _ in Int(next() % 9) }
            let got = BinaryMetrics.groupedAUC(scores: s, labels: y, groups: g), want = oracle(s, y, g)
            XCTAssertEqual(got.auc, want.0, accuracy: 1e-12)
            XCTAssertEqual(got.groups, want.1)
        }
    }
}

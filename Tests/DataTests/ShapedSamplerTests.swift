import XCTest
import Data
import Tensors

/// `ShapedSampler` draws another table's popularity stretched to any size
/// (`data.synthetic.item_popularity`): each source rank's share of the reads
/// lands on its slice of the ranks.
final class ShapedSamplerTests: XCTestCase {
    func testDrawsFollowTheStretchedShape() {
        // Source reads 6, 3, 1 (60 %, 30 %, 10 %) over 3 rows, stretched to 30:
        // ranks 1-10 take 60 %, 11-20 30 %, 21-30 10 %, evenly within a slice.
        let s = ShapedSampler(count: 30, shape: [1, 0, 6, 3])
        var g = StrataRNG(seed: 5)
        var hits = [Int](repeating: 0, count: 31)
        let n = 200_000
        for _ in 0..<n { hits[s.sample(&g)] += 1 }
        XCTAssertEqual(hits[0], 0, "ranks start at 1")
        for (slice, share) in [(1...10, 0.6), (11...20, 0.3), (21...30, 0.1)] {
            let got = Double(slice.reduce(0) { $0 + hits[$1] }) / Double(n)
            XCTAssertEqual(got, share, accuracy: 0.01, "\(slice)")
            for r in slice { XCTAssertEqual(Double(hits[r]) / Double(n), share / 10, accuracy: 0.004, "rank \(r)") }
        }
    }

    /// The synthetic data's items follow the shape: with a flat source every
    /// item row is about equally read, where Zipf's first rank dominates.
    func testSyntheticItemsFollowTheShape() {
        var c = SyntheticConfig()
        c.samples = 4_000
        c.itemRows = 100
        c.historyMaxLength = 20
        let flat = SyntheticDataset(c, itemShape: [Int](repeating: 5, count: 10))
        let zipf = SyntheticDataset(c)
        func topShare(_ d: SyntheticDataset) -> Double {
            let b = d.batch(globalStart: 0, count: 4_000, split: .train, dedup: false)
            let items = b.itemSide.values(forKey: "item") ?? []
            var counts = [Int: Int]()
            for v in items { counts[Int(v), default: 0] += 1 }
            return Double(counts.values.max() ?? 0) / Double(max(items.count, 1))
        }
        XCTAssertLessThan(topShare(flat), 0.03)
        XCTAssertGreaterThan(topShare(zipf), 0.1)
    }
}

import Data
import Sparse
import XCTest

final class MovieLensTests: XCTestCase {
    func load(_ cfg: MovieLensConfig = MovieLensConfig()) throws -> MovieLensDataset {
        try MovieLensDataset(directory: try sharedData("movielens"), config: cfg)
    }

    func testLoadsAndSplitsByTime() throws {
        let ds = try load()
        XCTAssertEqual(ds.sampleCount(.train) + ds.sampleCount(.eval), 100_836)
        XCTAssertEqual(ds.sampleCount(.eval), 610 * 5)
        XCTAssertEqual(ds.schema.table(named: "movie")?.rows, 9_742)
        XCTAssertEqual(ds.schema.table(named: "user")?.rows, 610)
        XCTAssert(ds.genres.contains("Comedy"))
        // Every user's eval ratings are no earlier than all their train ratings.
        var lastTrain = [Int: Int](), firstEval = [Int: Int]()
        for i in 0..<ds.sampleCount(.train) {
            let r = ds.rating(i, split: .train); lastTrain[r.user] = max(lastTrain[r.user] ?? .min, r.timestamp)
        }
        for i in 0..<ds.sampleCount(.eval) {
            let r = ds.rating(i, split: .eval); firstEval[r.user] = min(firstEval[r.user] ?? .max, r.timestamp)
        }
        XCTAssertEqual(firstEval.count, 610)
        for (u, t) in firstEval { XCTAssertLessThanOrEqual(lastTrain[u]!, t, "user \(u)") }
    }

    func testHistoryStrictlyEarlierAndBatches() throws {
        var cfg = MovieLensConfig(); cfg.historyLength = 20; cfg.denseCount = 6
        let ds = try load(cfg)
        for split in [Split.train, .eval] {
            for i in stride(from: 0, to: ds.sampleCount(split), by: 7) {
                let t = ds.rating(i, split: split).timestamp
                let h = ds.historyTimestamps(i, split: split)
                XCTAssertLessThanOrEqual(h.count, 20)
                XCTAssert(h.allSatisfy { $0 < t }, "\(split) sample \(i)")
                XCTAssertEqual(h, h.sorted())
            }
        }
        let b = ds.batch(globalStart: 1000, count: 512, split: .train, dedup: true)
        XCTAssertEqual(b.size, 512)
        XCTAssertEqual(b.dense.count, 512 * 6)
        XCTAssertEqual(b.itemSide.keys, ["movie", "genres"])
        XCTAssertEqual(b.userSide.keys, ["user", "history"])
        XCTAssertGreaterThan(b.duplicationFactor, 2, "sessions should share user-side rows")
        let off = ds.batch(globalStart: 1000, count: 512, split: .train, dedup: false)
        XCTAssertEqual(b.withoutDedup(), off)
        // Session dedup finds exactly the duplication hashing finds among neighbours or less.
        XCTAssertGreaterThanOrEqual(b.userSide.uniqueCount,
                                    InverseKeyedJaggedTensor.deduplicating(off.userSide.expanded()).uniqueCount)
        // Sample's history holds movies (table movie), candidates too.
        XCTAssert(b.userSide.unique.values(forKey: "history")!.allSatisfy { $0 >= 0 && $0 < 9_742 })
        XCTAssertEqual(Array(b.itemSide.values(forKey: "movie")!), (0..<512).map { Int64(ds.rating(1000 + $0, split: .train).movie) })
        let pos = ds.all(.train).labels.filter { $0 == 1 }.count
        XCTAssert(pos > 40_000 && pos < 60_000, "positives \(pos)")
    }
}

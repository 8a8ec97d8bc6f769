import Data
import Foundation
import Sparse
import XCTest

/// The MovieLens history on a hand-written ratings file: which earlier ratings
/// each sample sees, split by feedback, and that none is later or from eval.
final class MovieLensHistoryTests: XCTestCase {
    /// The hand-written file of `tinyMovieLens`.
    func tiny(_ edit: (inout MovieLensConfig) -> Void = { _ in }) throws -> MovieLensDataset {
        try tinyMovieLens(edit)
    }

    /// Per unique user-side row: (liked, disliked) movies, and the inverse.
    func rows(_ b: Batch) -> (liked: [[Int64]], disliked: [[Int64]], users: [Int64], inverse: [Int32]) {
        let u = b.userSide.unique
        func split(_ key: String) -> [[Int64]] {
            let lengths = u.lengths(forKey: key)!, values = Array(u.values(forKey: key)!)
            var out: [[Int64]] = [], at = 0
            for n in lengths { out.append(Array(values[at..<at + Int(n)])); at += Int(n) }
            return out
        }
        return (split("history_liked"), split("history_disliked"), Array(u.values(forKey: "user")!), b.userSide.inverse)
    }

    func testFeedbackSplitIsExact() throws {
        let ds = try tiny()
        XCTAssertEqual(ds.schema.features.map(\.name), ["movie", "genres", "user", "history_liked", "history_disliked"])
        XCTAssertEqual(ds.sampleCount(.train), 6)
        XCTAssertEqual(ds.sampleCount(.eval), 4)

        let train = ds.batch(globalStart: 0, count: 6, split: .train, dedup: true)
        XCTAssertEqual(train.labels, [1, 1, 0, 1, 0, 1])
        XCTAssertEqual(Array(train.itemSide.values(forKey: "movie")!), [1, 0, 1, 2, 3, 4])
        let t = rows(train)
        // Ratings 4 and 5 share t = 200, so neither sees the other: one row for both.
        XCTAssertEqual(t.inverse, [0, 1, 2, 2, 3, 4])
        XCTAssertEqual(t.users, [0, 1, 1, 1, 1])
        XCTAssertEqual(t.liked, [[], [], [0], [0, 2], [0, 2]])
        XCTAssertEqual(t.disliked, [[], [], [], [1], [1, 3]])

        // Eval rows see only training ratings: user 3's second eval rating does not
        // see the first (label 0); user 7's two eval ratings share t = 500.
        let eval = ds.batch(globalStart: 0, count: 4, split: .eval, dedup: true)
        XCTAssertEqual(Array(eval.itemSide.values(forKey: "movie")!), [0, 2, 5, 6])
        let e = rows(eval)
        XCTAssertEqual(e.inverse, [0, 0, 1, 1])
        XCTAssertEqual(e.liked, [[1], [0, 2, 4]])
        XCTAssertEqual(e.disliked, [[], [1, 3]])
        XCTAssertEqual(eval.withoutDedup(), ds.batch(globalStart: 0, count: 4, split: .eval, dedup: false))

        // The split partitions the single history, in time order.
        let plain = try tiny { $0.historyFeedback = false }
        XCTAssertEqual(plain.schema.features.map(\.name), ["movie", "genres", "user", "history"])
        let h = plain.batch(globalStart: 0, count: 4, split: .eval, dedup: true).userSide.unique
        XCTAssertEqual(Array(h.values(forKey: "history")!), [1, 0, 1, 2, 3, 4])
        XCTAssertEqual(ds.history(3, split: .eval).map(\.movie), [0, 1, 2, 3, 4])
        XCTAssertEqual(ds.history(3, split: .eval).map(\.liked), [true, false, true, false, true])
    }

    /// The 5th dense value is the window's liked share, (liked + 1) / (n + 2),
    /// counted here from `history` (the same window the sequences read), on
    /// both splits; with 4 dense values it is absent.
    func testLikedShareOfTheHistoryWindow() throws {
        for split in [MovieLensSplit.time, .users] {
            let ds = try tiny { $0.denseCount = 6; $0.split = split; $0.heldoutUsers = 0.5 }
            for part in [Split.train, .eval] {
                let n = ds.sampleCount(part)
                let b = ds.batch(globalStart: 0, count: n, split: part, dedup: false)
                for i in 0..<n {
                    let h = ds.history(i, split: part)
                    let want = Float(h.filter(\.liked).count + 1) / Float(h.count + 2)
                    XCTAssertEqual(b.dense[i * 6 + 4], want, "\(split) \(part) sample \(i)")
                    XCTAssertEqual(b.dense[i * 6 + 5], 0, "padding")
                }
            }
        }
        let four = try tiny()
        XCTAssertEqual(four.batch(globalStart: 0, count: 4, split: .eval, dedup: false).dense.count, 4 * 4)
        // user 7's eval window holds 5 training ratings, 3 liked: (3 + 1) / (5 + 2).
        let ds = try tiny { $0.denseCount = 5 }
        XCTAssertEqual(ds.batch(globalStart: 2, count: 1, split: .eval, dedup: false).dense[4], 4.0 / 7)
    }

    func testWindowAndSessions() throws {
        // The last 3 training ratings, then split: [30 liked, 40 not, 50 liked].
        let short = try tiny { $0.historyLength = 3 }
        let e = rows(short.batch(globalStart: 2, count: 2, split: .eval, dedup: true))
        XCTAssertEqual(e.liked, [[2, 4]])
        XCTAssertEqual(e.disliked, [[3]])
        // A 150 s gap makes user 7's ratings one session: no history in it.
        let sessions = try tiny { $0.sessionGapSeconds = 150 }
        let t = rows(sessions.batch(globalStart: 0, count: 6, split: .train, dedup: true))
        XCTAssertEqual(t.inverse, [0, 1, 1, 1, 1, 1])
        XCTAssertEqual(t.liked + t.disliked, [[], [], [], []])
    }

    func testOwnHistoryTable() throws {
        let ds = try tiny { $0.historyTable = true }
        XCTAssertEqual(ds.schema.tables.map(\.name), ["movie", "genre", "user", "history_movie"])
        XCTAssertEqual(ds.schema.table(named: "history_movie")?.rows, 7)
        XCTAssertEqual(ds.schema.features.map(\.table), ["movie", "genre", "user", "history_movie", "history_movie"])
        // Same ids, only the table differs.
        XCTAssertEqual(ds.batch(globalStart: 0, count: 6, split: .train, dedup: true),
                       try tiny().batch(globalStart: 0, count: 6, split: .train, dedup: true))
    }

    func testShuffleKeepsSamplesAndRows() throws {
        let ds = try tiny(), shuffled = try tiny { $0.shuffleTrain = true }
        func key(_ d: MovieLensDataset, _ i: Int, _ s: Split) -> String {
            let r = d.rating(i, split: s); return "\(r.user),\(r.movie),\(r.timestamp)"
        }
        let a = (0..<6).map { key(ds, $0, .train) }, b = (0..<6).map { key(shuffled, $0, .train) }
        XCTAssertEqual(a.sorted(), b.sorted())
        XCTAssertNotEqual(a, b)
        XCTAssertEqual((0..<4).map { key(ds, $0, .eval) }, (0..<4).map { key(shuffled, $0, .eval) })
        // Ratings 4 and 5 (one user-side row) stay adjacent and in order.
        let i = b.firstIndex(of: "1,1,200")!
        XCTAssertEqual(b[i + 1], "1,2,200")
        // Each sample's history is its own, whatever the order.
        for i in 0..<6 {
            let r = shuffled.rating(i, split: .train)
            let j = (0..<6).first { ds.rating($0, split: .train) == r }!
            XCTAssertEqual(shuffled.history(i, split: .train).map(\.movie), ds.history(j, split: .train).map(\.movie))
        }
        XCTAssertEqual(try tiny { $0.shuffleTrain = true }.batch(globalStart: 0, count: 6, split: .train, dedup: true),
                       shuffled.batch(globalStart: 0, count: 6, split: .train, dedup: true))
    }

    /// ml-latest-small: every history item is earlier than its sample and, for
    /// eval samples, a training rating of the same user (so no eval label).
    func testNoFutureOrEvalInHistory() throws {
        var cfg = MovieLensConfig()
        cfg.historyLength = 200; cfg.sessionGapSeconds = 0; cfg.historyFeedback = true; cfg.shuffleTrain = true
        let ds = try MovieLensDataset(directory: try sharedData("movielens"), config: cfg)
        var trainLabel: [String: Bool] = [:]
        let all = ds.all(.train)
        for i in 0..<ds.sampleCount(.train) {
            let r = ds.rating(i, split: .train); trainLabel["\(r.user),\(r.movie)"] = all.labels[i] == 1
        }
        for split in [Split.train, .eval] {
            for i in stride(from: 0, to: ds.sampleCount(split), by: split == .train ? 11 : 1) {
                let r = ds.rating(i, split: split)
                XCTAssert(ds.historyTimestamps(i, split: split).allSatisfy { $0 < r.timestamp }, "\(split) \(i)")
                for h in ds.history(i, split: split) {
                    XCTAssertEqual(trainLabel["\(r.user),\(h.movie)"], h.liked, "\(split) \(i): movie \(h.movie)")
                }
            }
        }
    }
}

import Data
import Foundation
import Sparse
import XCTest

/// `data.movielens.split: users`: held-out users are eval whole and never
/// trained on, their histories are their own earlier ratings, the draw is
/// seeded; and the `time` split is what it was before the option existed.
final class MovieLensUserSplitTests: XCTestCase {
    /// Configs/movielens.yaml's data options on ml-latest-small.
    func config(_ edit: (inout MovieLensConfig) -> Void = { _ in }) -> MovieLensConfig {
        var c = MovieLensConfig()
        c.historyLength = 200; c.sessionGapSeconds = 0; c.historyFeedback = true; c.historyTable = true; c.shuffleTrain = true
        edit(&c)
        return c
    }

    func load(_ c: MovieLensConfig) throws -> MovieLensDataset {
        try MovieLensDataset(directory: try sharedData("movielens"), config: c)
    }

    /// The dense users held out.
    func heldOut(_ ds: MovieLensDataset) -> Set<Int> {
        Set(ds.userIds.indices.filter { ds.isHeldOut(user: $0) })
    }

    /// The `user` feature of every sample of `split`, expanded from the IKJT.
    func userFeature(_ ds: MovieLensDataset, _ split: Split) -> [Int64] {
        Array(ds.all(split).userSide.expanded().values(forKey: "user")!)
    }

    func testHeldOutUsersNeverReachTraining() throws {
        let ds = try load(config { $0.split = .users; $0.heldoutUsers = 0.2; $0.splitSeed = 1 })
        let held = heldOut(ds)
        XCTAssertEqual(held.count, 122, "round(0.2 * 610)")
        XCTAssertEqual(ds.sampleCount(.train) + ds.sampleCount(.eval), 100_836)
        // Every training sample's user is a training user, and every eval sample's a held-out one.
        var trainUsers = Set<Int>(), evalUsers = Set<Int>()
        for i in 0..<ds.sampleCount(.train) { trainUsers.insert(ds.rating(i, split: .train).user) }
        for i in 0..<ds.sampleCount(.eval) { evalUsers.insert(ds.rating(i, split: .eval).user) }
        XCTAssert(trainUsers.isDisjoint(with: held))
        XCTAssertEqual(evalUsers, held, "every rating of every held-out user is eval")
        XCTAssertEqual(trainUsers.count, 610 - 122, "a training user keeps all ratings in train")

        // The user ids the model sees: a training sample its own user's row; an
        // eval sample the unknown row, which no training sample carries.
        let unknown = try XCTUnwrap(ds.unknownUserRow)
        XCTAssertEqual(unknown, 610)
        XCTAssertEqual(ds.schema.table(named: "user")?.rows, 611)
        let trainIds = userFeature(ds, .train)
        XCTAssertEqual(trainIds, (0..<ds.sampleCount(.train)).map { Int64(ds.rating($0, split: .train).user) })
        XCTAssertFalse(trainIds.contains(Int64(unknown)))
        XCTAssert(Set(trainIds.map(Int.init)).isDisjoint(with: held), "no held-out user's own row is trained")
        XCTAssertEqual(Set(userFeature(ds, .eval)), [Int64(unknown)])
    }

    /// The hand-written file (`tinyMovieLens`), user 7 (dense 1) held out:
    /// every value the batches carry.
    func testTinyFileExactly() throws {
        // The first seed that holds out user 7 of the two (any seed holds out one).
        let seed = try XCTUnwrap((1...64).first { try! MovieLensSplit.heldOut(userIds: [3, 7], share: 0.5, seed: UInt64($0))[1] })
        let ds = try tinyMovieLens { $0.split = .users; $0.heldoutUsers = 0.5; $0.splitSeed = UInt64(seed) }
        XCTAssertEqual(ds.sampleCount(.train), 3)
        XCTAssertEqual(ds.sampleCount(.eval), 7)
        XCTAssertEqual(ds.unknownUserRow, 2)
        XCTAssertEqual(ds.schema.table(named: "user")?.rows, 3)

        // User 3 trains on all three ratings (t 50, 60, 70), each seeing the ones before.
        let train = ds.batch(globalStart: 0, count: 3, split: .train, dedup: true)
        XCTAssertEqual(train.labels, [1, 0, 1])
        XCTAssertEqual(Array(train.itemSide.values(forKey: "movie")!), [1, 0, 2])
        XCTAssertEqual(windows(train, "user"), [[0], [0], [0]])
        XCTAssertEqual(windows(train, "history_liked"), [[], [1], [1]])
        XCTAssertEqual(windows(train, "history_disliked"), [[], [], [0]])

        // User 7's seven ratings are eval, with the unknown user row and their
        // own earlier ratings: t 200 (movies 1, 2) share one window, so do t 500 (5, 6).
        let eval = ds.batch(globalStart: 0, count: 7, split: .eval, dedup: true)
        XCTAssertEqual(eval.labels, [1, 0, 1, 0, 1, 1, 0])
        XCTAssertEqual(Array(eval.itemSide.values(forKey: "movie")!), [0, 1, 2, 3, 4, 5, 6])
        XCTAssertEqual(eval.userSide.inverse, [0, 1, 1, 2, 3, 4, 4])
        XCTAssertEqual(windows(eval, "user"), Array(repeating: [2], count: 5))
        XCTAssertEqual(windows(eval, "history_liked"), [[], [0], [0, 2], [0, 2], [0, 2, 4]])
        XCTAssertEqual(windows(eval, "history_disliked"), [[], [], [1], [1, 3], [1, 3]])
        XCTAssertEqual(eval.withoutDedup(), ds.batch(globalStart: 0, count: 7, split: .eval, dedup: false))
        // Per-user metrics see the held-out user as themselves (dense 1), not the shared row.
        XCTAssertEqual((0..<7).map { ds.userGroup($0, split: .eval) }, Array(repeating: 1, count: 7))
        XCTAssertEqual((0..<3).map { ds.userGroup($0, split: .train) }, [0, 0, 0])
    }

    /// Per unique user-side row, the ids of `key`.
    func windows(_ b: Batch, _ key: String) -> [[Int64]] {
        let u = b.userSide.unique, values = Array(u.values(forKey: key)!)
        var out: [[Int64]] = [], at = 0
        for n in u.lengths(forKey: key)! { out.append(Array(values[at..<at + Int(n)])); at += Int(n) }
        return out
    }

    func testDrawIsSeededAndNearTheShare() throws {
        let a = try load(config { $0.split = .users; $0.splitSeed = 1 })
        let b = try load(config { $0.split = .users; $0.splitSeed = 1 })
        let c = try load(config { $0.split = .users; $0.splitSeed = 2 })
        XCTAssertEqual(heldOut(a), heldOut(b))
        XCTAssertEqual(a.all(.eval), b.all(.eval))
        XCTAssertNotEqual(heldOut(a), heldOut(c))
        XCTAssertEqual(heldOut(c).count, 122)
        // The draw is by user id, not by position: users drawn alone are drawn
        // the same among others.
        let ids = a.userIds
        let alone = try MovieLensSplit.heldOut(userIds: ids, share: 0.2, seed: 1)
        XCTAssertEqual(Set(ids.indices.filter { alone[$0] }), heldOut(a))
        let reversed = try MovieLensSplit.heldOut(userIds: ids.reversed(), share: 0.2, seed: 1)
        XCTAssertEqual(Set(ids.reversed().indices.filter { reversed[$0] }.map { ids.reversed()[$0] }),
                       Set(heldOut(a).map { ids[$0] }))
        for share in [0.01, 0.1, 0.5, 0.9, 0.999] {
            for seed: UInt64 in [1, 7] {
                let n = try MovieLensSplit.heldOut(userIds: ids, share: share, seed: seed).filter { $0 }.count
                XCTAssertEqual(n, min(max(Int((share * 610).rounded()), 1), 609), "share \(share) seed \(seed)")
            }
        }
        // The ratings held out follow the users: near the share, not exact.
        let evalShare = Double(a.sampleCount(.eval)) / 100_836
        XCTAssert(evalShare > 0.05 && evalShare < 0.5, "eval share of ratings \(evalShare)")
    }

    /// Each held-out rating's history is exactly the same user's last ratings
    /// strictly before it (sessions of one timestamp), at most 200, with their labels.
    func testHeldOutHistoriesAreTheUsersOwnEarlierRatings() throws {
        let ds = try load(config { $0.split = .users; $0.splitSeed = 3 })
        var byUser: [Int: [(t: Int, movie: Int, liked: Bool)]] = [:]
        let eval = ds.all(.eval)
        for i in 0..<ds.sampleCount(.eval) {
            let r = ds.rating(i, split: .eval)
            byUser[r.user, default: []].append((r.timestamp, r.movie, eval.labels[i] == 1))
        }
        var nonEmpty = 0
        for i in 0..<ds.sampleCount(.eval) {
            let r = ds.rating(i, split: .eval)
            let earlier = byUser[r.user]!.filter { $0.t < r.timestamp }.suffix(200)
            let h = ds.history(i, split: .eval)
            XCTAssertEqual(h.map(\.movie), earlier.map(\.movie), "eval \(i)")
            XCTAssertEqual(h.map(\.liked), earlier.map(\.liked), "eval \(i)")
            nonEmpty += h.isEmpty ? 0 : 1
        }
        XCTAssertGreaterThan(nonEmpty, ds.sampleCount(.eval) * 9 / 10, "held-out users carry their histories")
        // The batch carries the same: liked then disliked halves of that window.
        let b = ds.batch(globalStart: 0, count: 300, split: .eval, dedup: false)
        let liked = b.userSide.unique.lengths(forKey: "history_liked")!, disliked = b.userSide.unique.lengths(forKey: "history_disliked")!
        for j in 0..<300 {
            let h = ds.history(j, split: .eval)
            XCTAssertEqual(Int(liked[liked.startIndex + j]), h.filter(\.liked).count)
            XCTAssertEqual(Int(disliked[disliked.startIndex + j]), h.filter { !$0.liked }.count)
        }
    }

    /// On the hand-written file, so it runs where ml-latest-small is absent
    /// (a skip thrown inside XCTAssertThrowsError would count as the refusal).
    func testShareOutsideTheOpenIntervalIsRefused() throws {
        for share in [0, 1, -0.2, 1.5, .nan] {
            XCTAssertThrowsError(try tinyMovieLens { $0.split = .users; $0.heldoutUsers = share }, "\(share)") { error in
                XCTAssert("\(error)".contains("data.movielens.heldout_users"), "\(error)")
            }
        }
        // The time split never reads it.
        XCTAssertNoThrow(try tinyMovieLens { $0.heldoutUsers = 0 })
    }

    /// The time split, pinned on ml-latest-small: counts, tables and a hash of
    /// every batch byte, taken from the reader before `split` existed.
    func testTimeSplitUnchanged() throws {
        for (c, train, eval, tables) in [
            (MovieLensConfig(), "7e2b82600416ca6f", "537d848cc31e42f", 3),
            (config(), "391278201eaeb4dd", "1502391e9973c378", 4),
        ] {
            XCTAssertEqual(c.split, .time)
            let ds = try load(c)
            XCTAssertEqual(ds.sampleCount(.train), 97_786)
            XCTAssertEqual(ds.sampleCount(.eval), 3_050)
            XCTAssertNil(ds.unknownUserRow)
            XCTAssertEqual(ds.schema.tables.count, tables)
            XCTAssertEqual(ds.schema.table(named: "user")?.rows, 610)
            XCTAssertEqual(String(fingerprint(ds.all(.train)), radix: 16), train)
            XCTAssertEqual(String(fingerprint(ds.all(.eval)), radix: 16), eval)
        }
    }

    /// FNV-1a over labels, dense values, every key's values and lengths, and the inverse.
    func fingerprint(_ b: Batch) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func add<T>(_ a: [T]) { a.withUnsafeBytes { h = fnv1a64($0, seed: h) } }
        add(b.labels); add(b.dense)
        for k in b.itemSide.keys { add(Array(b.itemSide.values(forKey: k)!)); add(Array(b.itemSide.lengths(forKey: k)!)) }
        for k in b.userSide.keys {
            add(Array(b.userSide.unique.values(forKey: k)!)); add(Array(b.userSide.unique.lengths(forKey: k)!))
        }
        add(b.userSide.inverse)
        return h
    }
}

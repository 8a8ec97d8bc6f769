import Data
import Foundation
import Training
import XCTest

/// The item + user rate blend against rates counted here from the batches:
/// logit(item) + logit(user) - logit(base), a user absent from training
/// counting as the base rate (the item's rate alone).
final class BlendBaselineTests: XCTestCase {
    func testBlendEqualsRatesCountedByHandAndUnseenUsersFallBackToTheItem() throws {
        var c = SyntheticConfig()
        c.samples = 300; c.evalSamples = 200; c.itemRows = 12; c.userRows = 400
        let source = SyntheticDataset(c)
        let train = source.all(.train), eval = source.all(.eval)
        func ids(_ b: Batch) -> (items: [Int64?], users: [Int64?]) {
            let ik = b.itemSide.index(ofKey: "item")!, uk = b.userSide.unique.index(ofKey: "user")!
            return ((0..<b.size).map { b.itemSide.bag(key: ik, sample: $0).first },
                    b.userSide.inverse.map { b.userSide.unique.bag(key: uk, sample: Int($0)).first })
        }
        func rates(_ keys: [Int64?], _ labels: [Float]) -> [Int64: Double] {
            var pos: [Int64: Double] = [:], n: [Int64: Double] = [:]
            for (k, l) in zip(keys, labels) { if let k { pos[k, default: 0] += Double(l); n[k, default: 0] += 1 } }
            return pos.merging(n) { positives, count in positives / count }
        }
        func logit(_ p: Double) -> Double { let q = min(max(p, 1e-4), 1 - 1e-4); return log(q / (1 - q)) }
        let (ti, tu) = ids(train), (ei, eu) = ids(eval)
        let itemRate = rates(ti, train.labels), userRate = rates(tu, train.labels)
        let base = train.labels.reduce(0.0) { $0 + Double($1) } / Double(train.size)
        var unseen = 0
        let want = zip(ei, eu).map { i, u -> Double in
            let ur = u.flatMap { userRate[$0] }
            if ur == nil { unseen += 1 }
            return logit(i.flatMap { itemRate[$0] } ?? base) + logit(ur ?? base) - logit(base)
        }
        XCTAssertGreaterThan(unseen, 0, "the source has eval users training never saw")
        XCTAssertLessThan(unseen, eval.size, "and users it saw")
        let got = try BlendBaseline.evaluate(source: source, item: "item", user: "user")
        let oracle = EvalMetrics.compute(logits: want, labels: eval.labels)
        XCTAssertEqual(got.unknownUsers, unseen)
        XCTAssertEqual(got.metrics.auc, oracle.auc, accuracy: 1e-12)
        XCTAssertEqual(got.metrics.logloss, oracle.logloss, accuracy: 1e-12)
        // With the user term dropped for everyone, the blend would be the item's rate alone: a different score.
        let itemOnly = EvalMetrics.compute(logits: ei.map { logit($0.flatMap { itemRate[$0] } ?? base) }, labels: eval.labels)
        XCTAssertNotEqual(got.metrics.logloss, itemOnly.logloss)
        XCTAssertThrowsError(try BlendBaseline.evaluate(source: source, item: "item", user: "item"))
    }
}

/// The blend with the user's rate read from the sample's own liked and
/// disliked history, against counts made here from `history(_:split:)`.
final class HistoryBlendBaselineTests: XCTestCase {
    func movieLens() throws -> MovieLensDataset {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strata-blend-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var movies = "movieId,title,genres\n", ratings = "userId,movieId,rating,timestamp\n"
        for m in 1...6 { movies += "\(m),M\(m) (2000),Drama\n" }
        // Four users with different generosity: user u likes movie m when (u + m) % (u + 1) != 0.
        for u in 1...4 { for m in 1...6 { ratings += "\(u),\(m),\((u + m) % (u + 1) == 0 ? 2.0 : 4.5),\(100 * u + m)\n" } }
        try movies.write(toFile: dir + "/ml-latest-small-movies.csv", atomically: true, encoding: .utf8)
        try ratings.write(toFile: dir + "/ml-latest-small-ratings.csv", atomically: true, encoding: .utf8)
        var c = MovieLensConfig()
        c.evalPerUser = 2; c.sessionGapSeconds = 0; c.historyLength = 10; c.historyFeedback = true
        return try MovieLensDataset(directory: dir, config: c)
    }

    func testRatesFromTheHistoryEqualCountsByHand() throws {
        let ds = try movieLens(), m = 2.0
        let train = ds.all(.train), eval = ds.all(.eval)
        var pos: [Int: Double] = [:], n: [Int: Double] = [:]
        for i in 0..<train.size { let movie = ds.rating(i, split: .train).movie; pos[movie, default: 0] += Double(train.labels[i]); n[movie, default: 0] += 1 }
        let base = train.labels.reduce(0.0) { $0 + Double($1) } / Double(train.size)
        func logit(_ p: Double) -> Double { let q = min(max(p, 1e-4), 1 - 1e-4); return log(q / (1 - q)) }
        let want = (0..<eval.size).map { i -> Double in
            let movie = ds.rating(i, split: .eval).movie, h = ds.history(i, split: .eval)
            let item = n[movie].map { (pos[movie]! + m * base) / ($0 + m) } ?? base
            let user = (Double(h.filter(\.liked).count) + m * base) / (Double(h.count) + m)
            return logit(item) + logit(user) - logit(base)
        }
        let got = try BlendBaseline.evaluate(source: ds, item: "movie", liked: "history_liked", disliked: "history_disliked", priorStrength: m)
        let oracle = EvalMetrics.compute(logits: want, labels: eval.labels)
        XCTAssertEqual(got.emptyHistories, 0)
        XCTAssertEqual(got.metrics.auc, oracle.auc, accuracy: 1e-12)
        XCTAssertEqual(got.metrics.logloss, oracle.logloss, accuracy: 1e-12)
        // The user term matters here: the item's rate alone scores differently.
        let itemOnly = try PopularityBaseline.evaluate(source: ds, feature: "movie", priorStrength: m)
        XCTAssertNotEqual(got.metrics.logloss, itemOnly.logloss)
        // Swapped halves read the user's rate upside down.
        let swapped = try BlendBaseline.evaluate(source: ds, item: "movie", liked: "history_disliked", disliked: "history_liked", priorStrength: m)
        XCTAssertNotEqual(swapped.metrics.logloss, got.metrics.logloss)
    }

    func testFeaturesThatAreNotTwoHistoriesAreRefused() throws {
        let ds = try movieLens()
        XCTAssertThrowsError(try BlendBaseline.evaluate(source: ds, item: "movie", liked: "user", disliked: "history_disliked"))
        XCTAssertThrowsError(try BlendBaseline.evaluate(source: ds, item: "movie", liked: "history_liked", disliked: "history_liked"))
        XCTAssertThrowsError(try BlendBaseline.evaluate(source: ds, item: "movie", liked: "history_liked", disliked: "nope"))
    }
}

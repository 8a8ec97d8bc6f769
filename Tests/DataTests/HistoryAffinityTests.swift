import Data
import Foundation
import XCTest

/// `dense_count: 6`'s history affinity (`HistoryAffinity`: 5 training
/// ratings to get similarities, shrinkage 20, λ 0.1) against a brute-force oracle that
/// sums each similarity over the other users directly (no leave-one-out
/// algebra), and the leave-one-user-out property: a sample's own label, or
/// a held-out user's, never reaches a training feature.
final class HistoryAffinityTests: XCTestCase {
    /// 30 users rate 6-11 of 12 movies in random order, one a second, half
    /// stars drawn by a seeded LCG; `flip` rewrites one (user, movie)'s rating.
    func randomMovieLens(_ dir: String, flip: (user: Int, movie: Int, rating: Double)? = nil,
                         _ edit: (inout MovieLensConfig) -> Void) throws -> MovieLensDataset {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var movies = "movieId,title,genres\n"
        for m in 1...12 { movies += "\(m),M\(m) (2000),Drama\n" }
        try movies.write(toFile: dir + "/ml-latest-small-movies.csv", atomically: true, encoding: .utf8)
        var state: UInt64 = 0x5EED
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        var ratings = "userId,movieId,rating,timestamp\n"
        for u in 1...30 {
            var order = Array(1...12)
            for i in stride(from: 11, to: 0, by: -1) { order.swapAt(i, next(i + 1)) }
            for (t, m) in order.prefix(6 + next(6)).enumerated() {
                var r = Double(1 + next(10)) / 2
                if let flip, flip.user == u, flip.movie == m { r = flip.rating }
                ratings += "\(u),\(m),\(r),\(1000 * u + t)\n"
            }
        }
        try ratings.write(toFile: dir + "/ml-latest-small-ratings.csv", atomically: true, encoding: .utf8)
        var c = MovieLensConfig()
        c.denseCount = 6; c.historyFeedback = true; c.sessionGapSeconds = 0; c.historyLength = 200; c.evalPerUser = 2
        edit(&c)
        return try MovieLensDataset(directory: dir, config: c)
    }

    /// Every sample's affinity feature, by split, keyed "user,movie".
    func features(_ ds: MovieLensDataset) -> [String: Float] {
        var out: [String: Float] = [:]
        for split in [Split.train, .eval] {
            let n = ds.sampleCount(split), b = ds.batch(globalStart: 0, count: n, split: split, dedup: false)
            for i in 0..<n {
                let r = ds.rating(i, split: split)
                out["\(r.user),\(r.movie)"] = b.dense[i * 6 + 5]
            }
        }
        return out
    }

    /// The formula written out: for each history movie j, the adjusted cosine
    /// of (candidate, j) summed over every training user but the sample's own.
    func oracle(_ ds: MovieLensDataset) -> [String: Double] {
        var train: [Int: [Int: Double]] = [:]   // user -> movie -> label
        let t = ds.batch(globalStart: 0, count: ds.sampleCount(.train), split: .train, dedup: false)
        for i in 0..<ds.sampleCount(.train) {
            let r = ds.rating(i, split: .train)
            train[r.user, default: [:]][r.movie] = Double(t.labels[i])
        }
        var count: [Int: Int] = [:]
        for (_, ms) in train { for m in ms.keys { count[m, default: 0] += 1 } }
        let mean = train.mapValues { $0.values.reduce(0, +) / Double($0.count) }
        var out: [String: Double] = [:]
        for split in [Split.train, .eval] {
            for i in 0..<ds.sampleCount(split) {
                let r = ds.rating(i, split: split), h = ds.history(i, split: split)
                var value = 0.0
                if count[r.movie, default: 0] >= 5 && !h.isEmpty {
                    let mu = (Double(h.filter(\.liked).count) + 1) / Double(h.count + 2)
                    var num = 0.0, den = 0.0
                    for (j, liked) in h where j != r.movie && count[j, default: 0] >= 5 {
                        var dot = 0.0, co = 0.0, ni = 0.0, nj = 0.0
                        for (v, ms) in train where v != r.user {
                            let ci = ms[r.movie].map { $0 - mean[v]! }, cj = ms[j].map { $0 - mean[v]! }
                            if let ci { ni += ci * ci }
                            if let cj { nj += cj * cj }
                            if let ci, let cj { dot += ci * cj; co += 1 }
                        }
                        guard co > 0 else { continue }
                        let s = dot / ((ni * nj).squareRoot() + 1e-6) * co / (co + 20)
                        num += s * ((liked ? 1 : 0) - mu); den += abs(s)
                    }
                    value = num / (den + 0.1)
                }
                out["\(r.user),\(r.movie)"] = value
            }
        }
        return out
    }

    func testEqualsTheOracleOnBothSplits() throws {
        for split in [MovieLensSplit.time, .users] {
            let ds = try randomMovieLens(temporaryPath("aff-\(split)")) { $0.split = split; $0.heldoutUsers = 0.3 }
            let got = features(ds), want = oracle(ds)
            XCTAssertEqual(Set(got.keys), Set(want.keys))
            var nonzero = 0
            for (k, w) in want {
                XCTAssertEqual(Double(got[k]!), w, accuracy: 1e-4, "\(split) sample \(k)")
                if abs(w) > 1e-3 { nonzero += 1 }
            }
            XCTAssertGreaterThan(nonzero, want.count / 2, "\(split): most samples have a similar movie in their history")
        }
    }

    func testASamplesOwnLabelNeverReachesItsFeature() throws {
        let base = try randomMovieLens(temporaryPath("aff-base")) { _ in }
        // User 4's last training rating (a full history), flipped between liked and not.
        let i = (0..<base.sampleCount(.train)).last { base.rating($0, split: .train).user == base.userIds.firstIndex(of: 4)! }!
        let r = base.rating(i, split: .train), movieId = base.movieIds[r.movie]
        let label = base.batch(globalStart: i, count: 1, split: .train, dedup: false).labels[0]
        let flipped = try randomMovieLens(temporaryPath("aff-flip"), flip: (4, movieId, label == 1 ? 1.0 : 5.0)) { _ in }
        let a = features(base), b = features(flipped)
        let key = "\(r.user),\(r.movie)"
        XCTAssertGreaterThan(abs(a[key]!), 1e-3, "a feature that could move")
        XCTAssertEqual(a[key]!, b[key]!, accuracy: 1e-5, "the sample's own feature")
        // Other users' features move: the label is in their similarities.
        let moved = a.keys.filter { !$0.hasPrefix("\(r.user),") && abs(a[$0]! - b[$0]!) > 1e-3 }
        XCTAssertFalse(moved.isEmpty)
    }

    func testHeldOutLabelsNeverReachTrainingFeatures() throws {
        let base = try randomMovieLens(temporaryPath("aff-users")) { $0.split = .users; $0.heldoutUsers = 0.3 }
        let u = (0..<base.userIds.count).first { base.isHeldOut(user: $0) }!
        let i = (0..<base.sampleCount(.eval)).first { base.rating($0, split: .eval).user == u }!
        let r = base.rating(i, split: .eval)
        let label = base.batch(globalStart: i, count: 1, split: .eval, dedup: false).labels[0]
        let flipped = try randomMovieLens(temporaryPath("aff-users-flip"),
                                          flip: (base.userIds[u], base.movieIds[r.movie], label == 1 ? 1.0 : 5.0)) {
            $0.split = .users; $0.heldoutUsers = 0.3
        }
        let n = base.sampleCount(.train)
        XCTAssertEqual(base.batch(globalStart: 0, count: n, split: .train, dedup: false).dense,
                       flipped.batch(globalStart: 0, count: n, split: .train, dedup: false).dense)
        // The held-out user's own later samples read the flipped label in their history.
        let a = features(base), b = features(flipped)
        XCTAssertTrue(a.keys.contains { $0.hasPrefix("\(u),") && abs(a[$0]! - b[$0]!) > 1e-4 })
    }

    func testTheFirstFiveFeaturesAreUnchanged() throws {
        let five = try randomMovieLens(temporaryPath("aff-five")) { $0.denseCount = 5 }
        let six = try randomMovieLens(temporaryPath("aff-six")) { _ in }
        let n = five.sampleCount(.train)
        let a = five.batch(globalStart: 0, count: n, split: .train, dedup: false).dense
        let b = six.batch(globalStart: 0, count: n, split: .train, dedup: false).dense
        XCTAssertEqual(a.count, n * 5)
        XCTAssertEqual(a, (0..<n).flatMap { b[$0 * 6..<$0 * 6 + 5] })
    }
}

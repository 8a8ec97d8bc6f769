import Foundation

/// Top-k ranking quality averaged over the users that have target items
/// (values in percent in the paper, fractions here). The paper's released
/// `eval.py` divides the sums by every user instead; on its own splits every
/// user has a validation and a test item (a user without one would divide by
/// min(0, k) = 0 there), so both averages agree. On a split where some users
/// have no target (a seeded split of users with 3 or 4 interactions has no
/// validation item) they differ, and `overAllUsers` gives the released
/// divisor's figures (a user without a target counts 0):
///
/// - HR@k = hits in the top k / min(#targets, k)
/// - nDCG@k: binary gains, 1/log2(rank+2); the ideal ranks min(#targets, k) hits
/// - PSP@k (propensity-scored precision): Σ over hits of the item's inverse
///   propensity / min(#targets, k), divided by the largest such sum any ranking
///   could reach (the targets' min(#targets, k) largest inverse propensities).
///   The paper's code divides only the numerator by min(#targets, k); Strata
///   follows it exactly so figures compare (so PSP@k ≤ 1 / min(#targets, k)).
/// - AUC: pooled over users, each user's targets against sampled negatives
///   (see `RankingEvaluator`), ties counted half.
public struct RankingMetrics: Sendable, Codable, Equatable {
    public var ks: [Int]
    public var hitRate: [Double]
    public var ndcg: [Double]
    public var psp: [Double]
    public var auc: Double
    /// Users averaged over (those with at least one target item).
    public var users: Int
    /// Every user evaluated, with a target or not (the released eval.py's divisor).
    public var allUsers: Int

    public init(ks: [Int], hitRate: [Double], ndcg: [Double], psp: [Double], auc: Double, users: Int, allUsers: Int? = nil) {
        self.ks = ks
        self.hitRate = hitRate
        self.ndcg = ndcg
        self.psp = psp
        self.auc = auc
        self.users = users
        self.allUsers = allUsers ?? users
    }

    /// The same sums divided by every user, as the released eval.py (AUC is pooled, unchanged).
    public var overAllUsers: RankingMetrics {
        let f = allUsers > 0 ? Double(users) / Double(allUsers) : 0
        return RankingMetrics(ks: ks, hitRate: hitRate.map { $0 * f }, ndcg: ndcg.map { $0 * f }, psp: psp.map { $0 * f },
                              auc: auc, users: users, allUsers: allUsers)
    }

    public func hitRate(at k: Int) -> Double { ks.firstIndex(of: k).map { hitRate[$0] } ?? .nan }
    public func ndcg(at k: Int) -> Double { ks.firstIndex(of: k).map { ndcg[$0] } ?? .nan }
    public func psp(at k: Int) -> Double { ks.firstIndex(of: k).map { psp[$0] } ?? .nan }

    /// `{"hr@10": ..., "ndcg@10": ..., "psp@10": ..., "auc": ..., "users": ...}`.
    public var flat: [String: Double] {
        var out: [String: Double] = ["auc": auc, "users": Double(users), "all_users": Double(allUsers)]
        for (i, k) in ks.enumerated() {
            out["hr@\(k)"] = hitRate[i]
            out["ndcg@\(k)"] = ndcg[i]
            out["psp@\(k)"] = psp[i]
        }
        return out
    }

    /// One user's HR, nDCG and PSP at each k. `ranked` holds the top items best
    /// first (at least max(ks) unless fewer items exist); `targets` sorted.
    public static func user(ranked: [Int32], targets: [Int32], inversePropensity: [Double], ks: [Int])
        -> (hitRate: [Double], ndcg: [Double], psp: [Double]) {
        let n = targets.count
        let bestProps = targets.map { inversePropensity[Int($0)] }.sorted(by: >)
        var hr = [Double](), nd = [Double](), ps = [Double]()
        for k in ks {
            let cut = Double(min(n, k))
            var hits = 0.0, dcg = 0.0, idcg = 0.0, psp = 0.0, maxPsp = 0.0
            for (at, item) in ranked.prefix(k).enumerated() where binarySearch(targets, item) {
                hits += 1
                dcg += 1 / log2(Double(at) + 2)
                psp += inversePropensity[Int(item)] / cut
            }
            for at in 0..<min(n, k) {
                idcg += 1 / log2(Double(at) + 2)
                maxPsp += bestProps[at]
            }
            hr.append(hits / cut)
            nd.append(dcg / idcg)
            ps.append(psp / maxPsp)
        }
        return (hr, nd, ps)
    }

    /// Area under the ROC curve of scores against 0/1 labels; tied scores count
    /// half (mid-ranks). NaN when either class is empty.
    public static func auc(scores: [Double], labels: [Bool]) -> Double {
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSumPositive = 0.0, positives = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let midRank = Double(i + j) / 2 + 1
            for t in i...j where labels[order[t]] { rankSumPositive += midRank; positives += 1 }
            i = j + 1
        }
        let negatives = Double(scores.count) - positives
        guard positives > 0, negatives > 0 else { return .nan }
        return (rankSumPositive - positives * (positives + 1) / 2) / (positives * negatives)
    }

    /// Jain et al.'s inverse propensities from item counts (A = 0.55, B = 1.5,
    /// as the paper's `get_item_propensity`): 1 + C (count + B)^-A with
    /// C = (ln N - 1)(B + 1)^A, N the number of interactions.
    public static func inversePropensities(itemCounts: [Int], a: Double = 0.55, b: Double = 1.5) -> [Double] {
        let n = Double(itemCounts.reduce(0, +))
        let c = (log(n) - 1) * pow(b + 1, a)
        return itemCounts.map { 1 + c * pow(Double($0) + b, -a) }
    }

    static func binarySearch(_ sorted: [Int32], _ x: Int32) -> Bool {
        var lo = 0, hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sorted[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo < sorted.count && sorted[lo] == x
    }
}

/// The `k` best of `count` scores, best first, ties to the lower index.
/// Excluded items must already be -infinity; they are never returned.
public func topK(_ scores: UnsafePointer<Double>, count: Int, k: Int) -> [Int32] {
    var best: [Int32] = []
    best.reserveCapacity(k + 1)
    for i in 0..<count {
        let s = scores[i]
        if s == -Double.infinity { continue }
        if best.count == k, s <= scores[Int(best[k - 1])] { continue }
        // Insert after every item with a score >= s (ties keep the lower index first).
        var lo = 0, hi = best.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if scores[Int(best[mid])] >= s { lo = mid + 1 } else { hi = mid }
        }
        best.insert(Int32(i), at: lo)
        if best.count > k { best.removeLast() }
    }
    return best
}

import Foundation

/// AUC, logloss and positive rate of probabilities against 0/1 labels.
///
/// ```
/// BinaryMetrics(scores: [0.9, 0.2, 0.6], labels: [1, 0, 0]).auc   // 1.0
/// ```
public struct BinaryMetrics: Sendable, Equatable {
    public var auc: Double
    public var logloss: Double
    public var positiveRate: Double
    public var count: Int

    public init(scores: [Double], labels: [Float]) {
        precondition(scores.count == labels.count, "scores and labels differ in count")
        count = scores.count
        let pos = labels.reduce(0) { $0 + ($1 > 0.5 ? 1 : 0) }
        positiveRate = count == 0 ? 0 : Double(pos) / Double(count)
        var ll = 0.0
        for (p, y) in zip(scores, labels) {
            let q = min(max(p, 1e-12), 1 - 1e-12)
            ll -= y > 0.5 ? log(q) : log(1 - q)
        }
        logloss = count == 0 ? 0 : ll / Double(count)
        auc = BinaryMetrics.auc(scores: scores, labels: labels)
    }

    /// Mann-Whitney AUC with tied scores counted half.
    public static func auc(scores: [Double], labels: [Float]) -> Double {
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSumPos = 0.0
        var nPos = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let avgRank = Double(i + j) / 2 + 1
            for k in i...j where labels[order[k]] > 0.5 { rankSumPos += avgRank; nPos += 1 }
            i = j + 1
        }
        let nNeg = Double(order.count) - nPos
        guard nPos > 0 && nNeg > 0 else { return 0.5 }
        return (rankSumPos - nPos * (nPos + 1) / 2) / (nPos * nNeg)
    }

    /// Per-group AUC weighted by the group's samples (DIN's GAUC, the per-user
    /// AUC averaged over users): `sum_u n_u AUC_u / sum_u n_u` over the groups
    /// holding both labels; a group of one label has no AUC and is left out.
    /// Pooled AUC mixes users who rate generously with users who do not; the
    /// grouped one asks only whether each user's own items are ranked right.
    ///
    /// ```
    /// // group 1: AUC 1 over 4 samples; group 2: AUC 0 over 2; group 3: one label
    /// BinaryMetrics.groupedAUC(scores: [0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.5],
    ///                          labels: [0, 1, 0, 1, 1, 0, 1], groups: [1, 1, 1, 1, 2, 2, 3])
    /// // (auc: 4/6, groups: 2)
    /// ```
    public static func groupedAUC(scores: [Double], labels: [Float], groups: [Int]) -> (auc: Double, groups: Int) {
        precondition(scores.count == labels.count && labels.count == groups.count,
                     "groupedAUC: scores, labels and groups differ in count")
        var members: [Int: [Int]] = [:]
        for (i, g) in groups.enumerated() { members[g, default: []].append(i) }
        var weighted = 0.0, weight = 0.0, counted = 0
        for g in members.keys.sorted() {
            let idx = members[g]!
            let ls = idx.map { labels[$0] }
            let pos = ls.reduce(0) { $0 + ($1 > 0.5 ? 1 : 0) }
            guard pos > 0 && pos < ls.count else { continue }
            weighted += Double(ls.count) * auc(scores: idx.map { scores[$0] }, labels: ls)
            weight += Double(ls.count)
            counted += 1
        }
        return (counted == 0 ? .nan : weighted / weight, counted)
    }
}

import Collectives
import Tensors

/// The users one rank ranks: for each local user the items never ranked (the
/// train items, and validation's at test time), the targets, and every item
/// the user has (kept out of the AUC's sampled negatives).
public struct EvaluationSet: Sendable {
    public var excluded: SparseRows
    public var targets: SparseRows
    public var known: SparseRows
    /// The first local user's global index (seeds its negatives).
    public var firstUser: Int

    public init(excluded: SparseRows, targets: SparseRows, known: SparseRows, firstUser: Int) {
        self.excluded = excluded
        self.targets = targets
        self.known = known
        self.firstUser = firstUser
    }

    /// Validation (rank the train complement, targets the validation items) or
    /// test (rank the complement of train and validation, targets the test items)
    /// for the users `rows` of `data`.
    public static func make(_ data: InteractionData, rows: Range<Int>, test: Bool) -> EvaluationSet {
        let train = data.train.slice(rows), valid = data.validation.slice(rows), tst = data.test.slice(rows)
        return EvaluationSet(excluded: test ? train.union(valid) : train, targets: test ? tst : valid,
                             known: train.union(valid).union(tst), firstUser: rows.lowerBound)
    }
}

/// Ranks every user of every rank block by block (scores for at most
/// `blockRows` users exist at once), sums the per-user metrics over the ranks
/// and pools the AUC's (score, label) pairs.
public struct RankingEvaluator: Sendable {
    public var ks: [Int]
    public var inversePropensity: [Double]
    /// Negatives per user for the AUC, drawn uniformly among items the user
    /// has not interacted with (the paper's `eval.py` draws 50).
    public var aucNegatives: Int
    public var seed: UInt64
    public var blockRows: Int

    public init(ks: [Int] = [10, 100], inversePropensity: [Double], aucNegatives: Int = 50, seed: UInt64 = 42, blockRows: Int = 256) {
        self.ks = ks
        self.inversePropensity = inversePropensity
        self.aucNegatives = aucNegatives
        self.seed = seed
        self.blockRows = blockRows
    }

    /// `score(rows, out)` writes the scores `[rows.count x items]` of local users `rows`.
    public func evaluate(_ set: EvaluationSet, comm: Communicator,
                         score: (Range<Int>, UnsafeMutablePointer<Double>) throws -> Void) rethrows -> RankingMetrics {
        let items = set.targets.columns, users = set.targets.rows, maxK = ks.max() ?? 10
        // Per k: HR, nDCG, PSP sums; then users with a target, then every user.
        var sums = [Double](repeating: 0, count: 3 * ks.count + 2)
        sums[3 * ks.count + 1] = Double(users)
        var aucScores: [Double] = [], aucLabels: [Double] = []
        let scores = UnsafeMutablePointer<Double>.allocate(capacity: max(1, min(blockRows, users)) * items)
        defer { scores.deallocate() }
        for start in stride(from: 0, to: users, by: blockRows) {
            let rows = start..<min(start + blockRows, users)
            try score(rows, scores)
            for (i, u) in rows.enumerated() {
                let targets = Array(set.targets.row(u))
                guard !targets.isEmpty else { continue }
                let p = scores + i * items
                for t in targets { aucScores.append(p[Int(t)]); aucLabels.append(1) }
                for j in negatives(user: set.firstUser + u, known: Array(set.known.row(u)), items: items) {
                    aucScores.append(p[Int(j)]); aucLabels.append(0)
                }
                for x in set.excluded.row(u) { p[Int(x)] = -.infinity }
                let m = RankingMetrics.user(ranked: topK(p, count: items, k: maxK), targets: targets,
                                            inversePropensity: inversePropensity, ks: ks)
                for j in ks.indices {
                    sums[j] += m.hitRate[j]
                    sums[ks.count + j] += m.ndcg[j]
                    sums[2 * ks.count + j] += m.psp[j]
                }
                sums[3 * ks.count] += 1
            }
        }
        if comm.size > 1 { sums.withUnsafeMutableBufferPointer { comm.allreduce(.kernel, $0) } }
        let allScores = comm.size > 1 ? comm.allgatherv(.kernel, aucScores) : aucScores
        let allLabels = comm.size > 1 ? comm.allgatherv(.kernel, aucLabels) : aucLabels
        let n = max(sums[3 * ks.count], 1), c = ks.count
        return RankingMetrics(ks: ks, hitRate: (0..<c).map { sums[$0] / n }, ndcg: (0..<c).map { sums[c + $0] / n },
                              psp: (0..<c).map { sums[2 * c + $0] / n },
                              auc: RankingMetrics.auc(scores: allScores, labels: allLabels.map { $0 > 0 }),
                              users: Int(sums[3 * ks.count]), allUsers: Int(sums[3 * ks.count + 1]))
    }

    /// Up to `aucNegatives` distinct items outside `known` (sorted), seeded by
    /// the global user so every world size draws the same ones.
    func negatives(user: Int, known: [Int32], items: Int) -> [Int32] {
        let want = min(aucNegatives, items - known.count)
        var out: [Int32] = []
        var draw: UInt64 = 0
        var seen = Set<Int32>()
        while out.count < want && draw < UInt64(want) * 64 {
            let j = Int32(StrataRNG.hash(seed: seed, stream: UInt64(user), index: draw) % UInt64(items))
            draw += 1
            if RankingMetrics.binarySearch(known, j) || !seen.insert(j).inserted { continue }
            out.append(j)
        }
        return out
    }
}

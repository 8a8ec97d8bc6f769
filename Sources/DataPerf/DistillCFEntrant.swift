import Collectives
import Foundation
import KernelRecommenders

/// Distill-CF as a selection entrant (a choice, documented in docs/DESIGN.md).
///
/// Distill-CF learns m synthetic users whose ∞-AE reconstructs every real
/// user; a selection has to be real rows, so the entrant spends the budget on
/// the real users the summary stands for. The pool's positives form the
/// user x item matrix (each user with 3 or more positives keeps its last one
/// for Distill-CF's validation, which picks λ and the best step); m is the
/// budget over the pool's rows per user (2...`maxSummary`); each real user's
/// score is its best cosine overlap with a synthetic user. Rows are taken by
/// user, most represented first, half from each label (`Baselines.balanced`).
public struct DistillCFEntrant {
    public var steps = 40
    public var draws = 64
    public var maxSummary = 100
    public var seed: UInt64 = 42

    public init() {}

    /// The pool's positives as interaction data (user and item ids in increasing order).
    func interactions(_ pool: PoolRows) -> (data: InteractionData, userIndex: [Int64: Int], lists: [[Int32]]) {
        let positives = PoolPositives(pool)
        let lists = positives.distinctLists, userIds = positives.userIds, itemIds = positives.itemIds
        var train = lists, validation = [[Int32]](repeating: [], count: lists.count)
        for u in lists.indices where lists[u].count >= 3 { validation[u] = [train[u].removeLast()] }
        let cols = itemIds.count
        let data = InteractionData(userIDs: userIds.map(String.init), itemIDs: itemIds.map(String.init),
                                   train: SparseRows(columns: cols, rows: train.map { $0.sorted() }),
                                   validation: SparseRows(columns: cols, rows: validation),
                                   test: SparseRows(columns: cols, rows: validation))
        return (data, positives.userIndex, lists)
    }

    /// Each real user's best cosine overlap with a synthetic user of the summary.
    public func representation(_ pool: PoolRows, budget: Int, comm: Communicator) throws -> (score: [Int64: Double], summaryUsers: Int) {
        let (data, uIndex, lists) = interactions(pool)
        let perUser = Double(pool.count) / Double(max(data.users, 1))
        let m = max(2, min(maxSummary, data.users - 1, Int((Double(budget) / perUser).rounded(.up))))
        var config = DistillConfig()
        config.steps = steps; config.draws = draws; config.evalEvery = max(steps / 2, 1)
        config.baselines = false; config.seed = seed
        var iae = InfiniteAEConfig()
        iae.ks = [10]
        let (summary, _) = try DistillCF.run(data, size: m, config: config, iae: iae, comm: comm)
        let synthetic = (0..<summary.rows).map { Set(summary.row($0)) }
        var score: [Int64: Double] = [:]
        for (user, u) in uIndex {
            let mine = Set(lists[u])
            var best = 0.0
            for s in synthetic where !s.isEmpty && !mine.isEmpty {
                best = max(best, Double(s.intersection(mine).count) / (Double(s.count) * Double(mine.count)).squareRoot())
            }
            score[user] = best
        }
        return (score, m)
    }

    /// Selection: the rows of the best-represented users first, half each label.
    public func select(_ pool: PoolRows, budget: Int, comm: Communicator) throws -> [Int] {
        let users = pool.users()
        let score = try representation(pool, budget: budget, comm: comm).score
        // Users without positives score 0; ties by user id, rows in pool order.
        let order = (0..<pool.count).sorted { a, b in
            let sa = score[users[a]] ?? 0, sb = score[users[b]] ?? 0
            return (-sa, users[a], a) < (-sb, users[b], b)
        }
        return Baselines.balanced(order, labels: pool.labels, budget: budget)
    }
}

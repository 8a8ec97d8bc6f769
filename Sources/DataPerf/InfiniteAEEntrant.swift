import Collectives
import Foundation
import KernelRecommenders

/// ∞-AE as a DataPerf entrant (a choice, documented in docs/DESIGN.md).
///
/// The pool's positives form a user x item matrix; ∞-AE (the NTK of an
/// infinitely wide autoencoder, closed form, one λ) reconstructs it. A row's
/// *agreement* is its label's plausibility under that reconstruction: the
/// percentile of the (user, item) score among the user's own pool rows, taken
/// as is for a positive and as 1 − it for a negative.
/// - debugging: least agreement first (a logged negative the user's other
///   positives predict, or a positive they do not);
/// - selection: the most agreeing rows, half from each label: the budget goes
///   to rows whose labels the collaborative signal supports.
public struct InfiniteAEEntrant {
    public var lambda = 1.0

    public init() {}

    /// One agreement in [0, 1] per pool row (world of one: `comm` has one rank).
    public func agreement(_ pool: PoolRows, comm: Communicator) throws -> [Double] {
        let positives = PoolPositives(pool)
        let users = positives.users, items = positives.items, userIds = positives.userIds, itemIds = positives.itemIds
        let uIndex = positives.userIndex, iIndex = positives.itemIndex
        let matrix = SparseRows(columns: itemIds.count, rows: positives.lists)
        let model = try KernelRegression(localFit: matrix, comm: comm, ntk: NTK(inputs: itemIds.count), solver: .eigen,
                                         contextRowsPerRank: matrix.rows, memoryBudgetBytes: nil)
        let context = try model.prepare(matrix, sameAsFit: 0..<matrix.rows)
        let coefficients = try model.coefficients(context, lambda: lambda)
        var scores = [Double](repeating: 0, count: matrix.rows * itemIds.count)
        scores.withUnsafeMutableBufferPointer { model.predict(coefficients, rows: 0..<matrix.rows, into: $0.baseAddress!) }
        // Per user: the percentile of each of its rows' scores among its rows.
        var rowsOf = [[Int]](repeating: [], count: userIds.count)
        for r in 0..<pool.count { rowsOf[uIndex[users[r]]!].append(r) }
        var out = [Double](repeating: 0.5, count: pool.count)
        for (u, rows) in rowsOf.enumerated() where rows.count > 1 {
            let s = rows.map { scores[u * itemIds.count + Int(iIndex[items[$0]]!)] }
            let order = rows.indices.sorted { (s[$0], rows[$0]) < (s[$1], rows[$1]) }
            for (rank, k) in order.enumerated() {
                let p = Double(rank) / Double(rows.count - 1)
                out[rows[k]] = pool.labels[rows[k]] > 0.5 ? p : 1 - p
            }
        }
        return out
    }

    /// Debugging: least agreement first (ties by row id).
    public func rank(_ pool: PoolRows, comm: Communicator) throws -> [Int] {
        let a = try agreement(pool, comm: comm)
        return (0..<pool.count).sorted { (a[$0], $0) < (a[$1], $1) }
    }

    /// Selection: the most agreeing rows, half positives and half negatives where each label has enough.
    public func select(_ pool: PoolRows, budget: Int, comm: Communicator) throws -> [Int] {
        let a = try agreement(pool, comm: comm)
        let byAgreement = (0..<pool.count).sorted { (-a[$0], $0) < (-a[$1], $1) }
        return Baselines.balanced(byAgreement, labels: pool.labels, budget: budget)
    }
}

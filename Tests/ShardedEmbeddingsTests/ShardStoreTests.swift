import XCTest
import ShardedEmbeddings
import Sharding

/// `ShardStore` by itself: a block's rows start as the global rows they are
/// (the same values whatever the shard), and `aggregateAndApply` sums each
/// row's duplicate gradients and steps every optimizer once per row, against
/// the optimizers' formulas written out in Double.
final class ShardStoreTests: XCTestCase {
    let config = TableConfig(name: "t", rows: 12, dim: 3)

    func store(first: Int, rows: Int, _ optimizer: EmbeddingOptimizerKind) -> ShardStore {
        ShardStore(table: 0, config: config, columnStart: 0, width: 3, map: .contiguous(first: first), rows: rows, seed: 5,
                   optimizer: optimizer)
    }

    func testRowsStartAsTheirGlobalRowsInAnyShard() {
        let whole = store(first: 0, rows: 12, .sgd)
        for (first, rows) in [(0, 4), (4, 4), (8, 4), (5, 7)] {
            let shard = store(first: first, rows: rows, .sgd)
            for r in 0..<rows { XCTAssertEqual(shard.rowValues(slot: r), whole.rowValues(slot: first + r), "row \(first + r)") }
        }
    }

    func testAggregateAndApplyMatchesTheFormulas() {
        let lr: Float = 0.1, eps = 1e-10
        // Rows named with duplicates, in any order; row 3 never.
        let rows: [Int32] = [2, 0, 2, 5, 0, 2, 1]
        let grads: [Float] = (0..<(rows.count * 3)).map { Float(($0 * 7) % 11) / 4 - 1.25 }
        for optimizer in EmbeddingOptimizerKind.allCases {
            let s = store(first: 0, rows: 6, optimizer)
            let before = (0..<6).map { s.rowValues(slot: $0) }
            // Two steps, so the accumulators' state carries over.
            for _ in 0..<2 {
                rows.withUnsafeBufferPointer { r in grads.withUnsafeBufferPointer { g in
                    s.aggregateAndApply(rows: r.baseAddress!, grads: g.baseAddress!, count: rows.count, learningRate: lr)
                } }
            }
            for row in 0..<6 {
                var g = [Double](repeating: 0, count: 3)
                for (k, r) in rows.enumerated() where Int(r) == row { for c in 0..<3 { g[c] += Double(grads[k * 3 + c]) } }
                var w = before[row].map(Double.init), state = [Double](repeating: 0, count: 3), acc = 0.0
                for _ in 0..<2 where rows.contains(Int32(row)) {
                    switch optimizer {
                    case .sgd: for c in 0..<3 { w[c] -= Double(lr) * g[c] }
                    case .adagrad:
                        for c in 0..<3 { state[c] += g[c] * g[c]; w[c] -= Double(lr) * g[c] / (state[c].squareRoot() + eps) }
                    case .rowwiseAdagrad:
                        acc += g.reduce(0) { $0 + $1 * $1 } / 3
                        for c in 0..<3 { w[c] -= Double(lr) * g[c] / (acc.squareRoot() + eps) }
                    }
                }
                let got = s.rowValues(slot: row)
                for c in 0..<3 { XCTAssertEqual(Double(got[c]), w[c], accuracy: 1e-5, "\(optimizer), row \(row)") }
                if !rows.contains(Int32(row)) { XCTAssertEqual(got, before[row], "\(optimizer): row \(row) untouched") }
            }
        }
    }
}

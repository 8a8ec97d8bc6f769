import Collectives
import Model

extension ShardedEmbeddingCollection {
    /// The whole of table `t` ([rows x dim], row-major) on every rank, gathered
    /// from its shards by global row (collective). Rows no rank has allocated
    /// yet (FlexShard's lazy cold rows) hold their initial values.
    public func gatherTable(_ t: Int) -> [Float] {
        let config = tables[t]
        var rows: [Int64] = []
        var data: [Float] = []
        for s in stores where s.table == t {
            for r in 0..<s.rows {
                rows += [Int64(s.globalRow(ofSlot: r)), Int64(s.columnStart), Int64(s.width)]
                data += s.rowValues(slot: r)
            }
        }
        let allRows = comm.allgatherArrays(.control, rows)
        let allData = comm.allgatherArrays(.control, data)
        var out = [Float](repeating: 0, count: config.rows * config.dim)
        var filled = [Bool](repeating: false, count: config.rows)
        for (m, d) in zip(allRows, allData) {
            var at = 0
            for i in stride(from: 0, to: m.count, by: 3) {
                let row = Int(m[i]), col = Int(m[i + 1]), w = Int(m[i + 2])
                for c in 0..<w { out[row * config.dim + col + c] = d[at + c] }
                filled[row] = true
                at += w
            }
        }
        out.withUnsafeMutableBufferPointer { o in
            for row in 0..<config.rows where !filled[row] {
                initEmbeddingRow(seed: seed, table: t, row: row, dim: config.dim, rowsInTable: config.rows,
                                 out: o.baseAddress! + row * config.dim)
            }
        }
        return out
    }

    /// Every copy of the hot (replicated) rows on this rank, for the replica
    /// check: (table, local row, row values).
    public func replicatedRows() -> [Float] {
        var out: [Float] = []
        for sync in syncs where sync.isEveryRank || sync.comm?.size == comm.size {
            for i in sync.stores {
                let s = stores[i]
                for r in 0..<s.rows { out += s.rowValues(slot: r) }
            }
        }
        return out
    }
}

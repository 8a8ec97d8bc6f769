import Collectives

extension ShardedEmbeddingCollection {
    /// The whole of table `t` ([rows x dim], row-major) on every rank, gathered
    /// from its shards (collective). For tests, checkpoints and re-sharding.
    public func gatherTable(_ t: Int) -> [Float] {
        let config = tables[t]
        if let replica = replicas[t] {
            return Array(UnsafeBufferPointer(start: replica.weights, count: config.rows * config.dim))
        }
        var meta: [Int64] = []
        var data: [Float] = []
        for s in stores where s.table == t {
            meta += [Int64(s.firstRow), Int64(s.rows), Int64(s.columnStart), Int64(s.width)]
            data += UnsafeBufferPointer(start: s.weights, count: s.rows * s.width)
        }
        let metas = comm.allgatherArrays(.control, meta)
        let datas = comm.allgatherArrays(.control, data)
        var out = [Float](repeating: .nan, count: config.rows * config.dim)
        for (m, d) in zip(metas, datas) {
            var at = 0
            for i in stride(from: 0, to: m.count, by: 4) {
                let first = Int(m[i]), rows = Int(m[i + 1]), col = Int(m[i + 2]), w = Int(m[i + 3])
                for r in 0..<rows {
                    for c in 0..<w { out[(first + r) * config.dim + col + c] = d[at + r * w + c] }
                }
                at += rows * w
            }
        }
        return out
    }
}

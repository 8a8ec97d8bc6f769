import Cluster

extension ShardingPlan {
    /// Every table with the same type, placed greedily: each table (largest
    /// first) goes to the least-loaded rank (table_wise), node (table_row_wise)
    /// or ranks (column_wise shards), so memory stays balanced. Deterministic.
    public static func uniform(_ type: ShardingType, tables: [TableConfig], topology: Topology,
                               overrides: [String: ShardingType] = [:]) -> ShardingPlan {
        let r = topology.worldSize
        var rankLoad = [Int](repeating: 0, count: r)
        var nodeLoad = [Int](repeating: 0, count: topology.nodeCount)
        func leastLoaded(_ load: [Int]) -> Int { load.indices.min { (load[$0], $0) < (load[$1], $1) }! }
        var out: [String: TableSharding] = [:]
        let order = tables.indices.sorted { (tables[$0].rows * tables[$0].dim, -$0) > (tables[$1].rows * tables[$1].dim, -$1) }
        for i in order {
            let t = tables[i]
            let kind = overrides[t.name] ?? type
            let size = t.rows * t.dim
            switch kind {
            case .tableWise:
                let o = leastLoaded(rankLoad)
                rankLoad[o] += size
                out[t.name] = TableSharding(table: t.name, type: kind, shards: [ColumnShard(columnStart: 0, width: t.dim, ranks: [o])])
            case .rowWise, .flexShard:
                // FlexShard spans every rank; its row tiers come from a profile
                // (`FlexShardPlanner`) and are attached before the plan is used.
                for k in 0..<r { rankLoad[k] += size / r }
                out[t.name] = TableSharding(table: t.name, type: kind, shards: [ColumnShard(columnStart: 0, width: t.dim, ranks: Array(0..<r))])
            case .tableRowWise:
                let n = leastLoaded(nodeLoad)
                nodeLoad[n] += size
                let ranks = topology.ranks(onNode: n)
                for k in ranks { rankLoad[k] += size / ranks.count }
                out[t.name] = TableSharding(table: t.name, type: kind, shards: [ColumnShard(columnStart: 0, width: t.dim, ranks: ranks)])
            case .columnWise:
                // Shards of at least 4 columns, at most one per rank.
                let count = max(1, min(r, t.dim / 4))
                var shards: [ColumnShard] = []
                var start = 0
                for s in 0..<count {
                    let width = t.dim / count + (s < t.dim % count ? 1 : 0)
                    let used = Set(shards.flatMap(\.ranks))
                    let o = (0..<r).filter { !used.contains($0) }.min { (rankLoad[$0], $0) < (rankLoad[$1], $1) }!
                    rankLoad[o] += t.rows * width
                    shards.append(ColumnShard(columnStart: start, width: width, ranks: [o]))
                    start += width
                }
                out[t.name] = TableSharding(table: t.name, type: kind, shards: shards)
            case .dataParallel:
                for k in 0..<r { rankLoad[k] += size }
                out[t.name] = TableSharding(table: t.name, type: kind, shards: [ColumnShard(columnStart: 0, width: t.dim, ranks: Array(0..<r))])
            }
        }
        return ShardingPlan(worldSize: r, tables: tables.map { out[$0.name]! })
    }
}

import Cluster
import Sharding

/// The lookup groups a plan implies, for the world lane and the node lane.
/// The collection and the traffic predictor both build them here, so the
/// prediction follows the very same routing.
package struct LookupGroups {
    package var world: [LookupGroup] = []
    var node: [LookupGroup] = []
    /// Local lookups: (feature, table, hot tier codes or nil for data_parallel).
    var local: [(feature: Int, table: Int, hotCodes: TierCodes?)] = []
    var codes: [Int: TierCodes] = [:]

    package init(plan: ShardingPlan, tables: [TableConfig], features: [EmbeddingFeature], worldSize R: Int, nodeSize L: Int) {
        let shardings = tables.map { plan.sharding(of: $0.name)! }
        for (t, s) in shardings.enumerated() { if let tiers = s.tiers { codes[t] = TierCodes(tiers.codes()) } }
        for (k, f) in features.enumerated() {
            let t = f.table, c = tables[t], sharding = shardings[t]
            if sharding.isReplicated {
                local.append((k, t, nil))
            } else if let tiers = sharding.tiers {
                let tc = codes[t]!
                if tiers.hot > 0 { local.append((k, t, tc)) }
                if tiers.warm > 0 {
                    node.append(LookupGroup(feature: k, table: t, columnStart: 0, width: c.dim, destinations: Array(0..<L),
                                            placement: .tier(tc, tier: RowTiers.Tier.warm.rawValue, peers: L), isSequence: f.isSequence))
                }
                if tiers.cold > 0 {
                    world.append(LookupGroup(feature: k, table: t, columnStart: 0, width: c.dim, destinations: Array(0..<R),
                                             placement: .tier(tc, tier: RowTiers.Tier.cold.rawValue, peers: R), isSequence: f.isSequence))
                }
            } else {
                for shard in sharding.shards {
                    world.append(LookupGroup(feature: k, table: t, columnStart: shard.columnStart, width: shard.width,
                                             destinations: shard.ranks, placement: .block(blockRows: shard.blockRows(tableRows: c.rows)),
                                             isSequence: f.isSequence))
                }
            }
        }
    }
}

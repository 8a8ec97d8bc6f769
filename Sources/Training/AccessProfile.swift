import Cluster
import Data
import Sharding

/// FlexShard's profiling pass: accesses per row of every table over the first
/// global batches, counted as the lookups will see them (user-side ids once
/// per unique row when dedup is on). Every rank counts the same global batches
/// itself (batches are a pure function of their index), so no communication.
public struct AccessProfile: Sendable, Codable, Equatable {
    public var steps: Int
    /// counts[table][row]
    public var counts: [[Int]]

    public static func measure(source: any BatchSource, layout: FeatureLayout, batchSize: Int, steps: Int,
                               dedup: Bool) -> AccessProfile {
        var counts = layout.tables.map { [Int](repeating: 0, count: $0.rows) }
        let batches = max(1, min(steps, source.sampleCount(.train) / batchSize))
        for k in 0..<batches {
            let batch = source.batch(globalStart: k * batchSize, count: batchSize, split: .train, dedup: dedup)
            for (f, ids) in zip(layout.features, layout.ids(of: batch)) {
                for v in ids.values { counts[f.table][Int(v)] += 1 }
            }
        }
        return AccessProfile(steps: batches, counts: counts)
    }

    /// Attaches FlexShard tiers to every `flexshard` table of `plan`.
    public func attachTiers(to plan: inout ShardingPlan, tables: [TableConfig], topology: Topology,
                            optimizer: EmbeddingOptimizerKind) -> [String: FlexShardPlanner.Cost] {
        var costs: [String: FlexShardPlanner.Cost] = [:]
        for i in plan.tables.indices where plan.tables[i].type == .flexShard && plan.tables[i].tiers == nil {
            guard let t = tables.firstIndex(where: { $0.name == plan.tables[i].table }) else { continue }
            let (tiers, cost) = FlexShardPlanner.plan(counts: counts[t], steps: steps, table: tables[t], topology: topology,
                                                      optimizer: optimizer)
            plan.tables[i].tiers = tiers
            costs[tables[t].name] = cost
        }
        return costs
    }
}

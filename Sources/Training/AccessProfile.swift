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

    /// The distinct global batches `steps` training steps read: the split
    /// wraps around after one pass.
    public static func trainingBatches(steps: Int, source: any BatchSource, batchSize: Int) -> Int {
        min(steps, max(1, source.sampleCount(.train) / batchSize))
    }

    /// Attaches FlexShard tiers to every `flexshard` table of `plan`, planned
    /// jointly under one per-rank budget: by default the row_wise footprint
    /// of those tables; with `memoryBudgetBytes` (`sharding.memory_budget_bytes`,
    /// the whole plan's per-rank budget), what the plan's other tables leave
    /// of it on their fullest rank. `trainingSteps`: the distinct global
    /// batches the run trains on (`trainingBatches`); room for the rows they
    /// read first after the profile is part of the plan's memory.
    public func attachTiers(to plan: inout ShardingPlan, tables: [TableConfig], topology: Topology,
                            optimizer: EmbeddingOptimizerKind, memoryBudgetBytes: Int? = nil,
                            trainingSteps: Int? = nil) -> [String: FlexShardPlanner.Cost] {
        let todo = plan.tables.indices.compactMap { i -> (Int, Int)? in
            guard plan.tables[i].type == .flexShard, plan.tables[i].tiers == nil,
                  let t = tables.firstIndex(where: { $0.name == plan.tables[i].table }) else { return nil }
            return (i, t)
        }
        let budgetBytesPerRank = memoryBudgetBytes.map { total -> Int in
            let flex = Set(todo.map { tables[$0.1].name })
            let others = plan.memoryPerRank(tables: tables.filter { !flex.contains($0.name) }, optimizer: optimizer)
            return max(0, total - (others.max() ?? 0))
        }
        let planned = FlexShardPlanner.plan(tables: todo.map { (counts[$0.1], tables[$0.1]) }, steps: steps, topology: topology,
                                            optimizer: optimizer, budgetBytesPerRank: budgetBytesPerRank,
                                            trainingSteps: trainingSteps)
        var costs: [String: FlexShardPlanner.Cost] = [:]
        for ((i, t), (tiers, cost)) in zip(todo, planned) {
            plan.tables[i].tiers = tiers
            costs[tables[t].name] = cost
        }
        return costs
    }
}

import Cluster
import Sharding

/// Turns `sharding:` in the config into a plan: one type for every table,
/// per-table overrides, or `auto`.
public enum Planner {
    public static func plan(config: ShardingConfig, tables: [TableConfig], topology: Topology,
                            optimizer: EmbeddingOptimizerKind) throws -> ShardingPlan {
        for name in config.tables.keys where !tables.contains(where: { $0.name == name }) {
            throw ConfigError("sharding.tables names unknown table '\(name)' (tables: \(tables.map(\.name).joined(separator: ", ")))")
        }
        let overrides = try config.tables.mapValues { raw -> ShardingType in
            guard let t = ShardingType(rawValue: raw) else { throw ConfigError("sharding.tables: unknown type '\(raw)'") }
            return t
        }
        if config.type == "auto" {
            return autoPlan(tables: tables, topology: topology, optimizer: optimizer, overrides: overrides,
                            budget: config.memoryBudget)
        }
        guard let type = ShardingType(rawValue: config.type) else {
            throw ConfigError("sharding.type: unknown type '\(config.type)'")
        }
        return ShardingPlan.uniform(type, tables: tables, topology: topology, overrides: overrides)
    }

    /// TorchRec-style choice without batch statistics: tables small enough
    /// that all-reducing their whole gradient costs less than sending their
    /// rows are replicated (data_parallel); the rest go table-wise, balanced by
    /// size, or row-wise when one table alone would exceed the budget.
    static func autoPlan(tables: [TableConfig], topology: Topology, optimizer: EmbeddingOptimizerKind,
                         overrides: [String: ShardingType], budget: Int?) -> ShardingPlan {
        var types = overrides
        for t in tables where types[t.name] == nil {
            let bytes = t.rows * (t.dim + optimizer.stateFloats(width: t.dim)) * 4
            if t.rows <= 256 {
                types[t.name] = .dataParallel
            } else if let b = budget, bytes > b / 2 {
                types[t.name] = topology.nodeCount > 1 ? .tableRowWise : .rowWise
            } else {
                types[t.name] = .tableWise
            }
        }
        return ShardingPlan.uniform(.tableWise, tables: tables, topology: topology, overrides: types)
    }
}

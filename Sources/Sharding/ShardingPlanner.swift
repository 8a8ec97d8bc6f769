import Cluster

/// The one way to make a plan: a config's `ShardingSpec` (or a plan file) plus
/// the model's tables and the world in, a finished, validated plan out. Every
/// caller (`strata train`, `strata plan`, sweep points, the tests) plans here,
/// so "choose types, profile, cut FlexShard's tiers, check" happens in one
/// order in one place.
///
///     let planned = try ShardingPlanner.plan(spec, for: target) { measureProfile() }
///     planned.plan          // ready for ShardedEmbeddingCollection
///     planned.flexShard     // FlexShard's modelled cost per table (strata plan)
public enum ShardingPlanner {
    /// What a plan is made for.
    public struct Target: Sendable {
        public var tables: [TableConfig]
        /// The world's topology (what a communicator reports).
        public var topology: Topology
        /// Plan rank r is world rank `worldRanks[r]` (a sweep group is part of
        /// the world); nil: the whole world in order.
        public var worldRanks: [Int]?
        public var optimizer: EmbeddingOptimizerKind
        /// Distinct global batches the run trains on: FlexShard keeps room for
        /// the rows they read that the profile did not see (nil: none).
        public var trainingSteps: Int?
        /// Bytes of one stored row element: 4 (fp32 rows) or 2 (fp16, bf16).
        public var elementBytes: Int
        /// The link latencies (and bandwidths, where measured) FlexShard's
        /// tiers are priced with (`strata plan` and `sharding.type: auto`
        /// pass theirs: a calibration file, else this machine's). nil: bytes
        /// alone, as a run with `flex_shard` and no `topology.calibration`
        /// planned before the latency model, so its tiers stay as they were.
        public var calibration: CommCalibration?

        public init(tables: [TableConfig], topology: Topology, worldRanks: [Int]? = nil,
                    optimizer: EmbeddingOptimizerKind, trainingSteps: Int? = nil, elementBytes: Int = 4,
                    calibration: CommCalibration? = nil) {
            self.tables = tables; self.topology = topology; self.worldRanks = worldRanks
            self.optimizer = optimizer; self.trainingSteps = trainingSteps; self.elementBytes = elementBytes
            self.calibration = calibration
        }

        /// The plan's own ranks as a topology.
        public var planTopology: Topology { worldRanks.map(topology.restricted(to:)) ?? topology }
    }

    public struct Planned: Sendable {
        public var plan: ShardingPlan
        /// FlexShard's modelled cost per table whose tiers were cut here.
        public var flexShard: [String: FlexShardPlanner.Cost]
        /// What the sync latency changed in those tiers (nil: none cut here).
        public var flexShardSync: FlexShardPlanner.SyncReport?
        /// `sharding.type: auto`'s candidates and choice, where it was priced
        /// (Training's planner routes the data's batches; nil here).
        public var auto: AutoReport?

        public init(plan: ShardingPlan, flexShard: [String: FlexShardPlanner.Cost],
                    flexShardSync: FlexShardPlanner.SyncReport? = nil, auto: AutoReport? = nil) {
            self.plan = plan; self.flexShard = flexShard; self.flexShardSync = flexShardSync; self.auto = auto
        }
    }

    /// `given`: a plan file to use instead of `spec.type` (its FlexShard
    /// tables without tiers get them here). `profile` is called only when a
    /// FlexShard table needs tiers; its counts are per table of `target.tables`.
    public static func plan(_ spec: ShardingSpec, for target: Target, given: ShardingPlan? = nil,
                            profile: () throws -> AccessProfile) throws -> Planned {
        let planned = try propose(spec, for: target, given: given, profile: profile)
        try planned.plan.validate(tables: target.tables, worldSize: target.planTopology.worldSize,
                                  memoryBudgetBytes: spec.memoryBudget, optimizer: target.optimizer,
                                  topology: target.topology, worldRanks: target.worldRanks, elementBytes: target.elementBytes)
        return planned
    }

    /// `plan` without the final check against the tables, the world and the
    /// memory budget: what the planner proposes even where it does not fit
    /// (the planner's tests measure how far a budget binds with it).
    public static func propose(_ spec: ShardingSpec, for target: Target, given: ShardingPlan? = nil,
                               profile: () throws -> AccessProfile) throws -> Planned {
        let names = target.tables.map(\.name)
        for name in spec.tables.keys.sorted() where !names.contains(name) {
            throw PlanError("sharding.tables names unknown table '\(name)' (tables: \(names.joined(separator: ", ")))")
        }
        let topology = target.planTopology
        var plan = given ?? choose(spec, tables: target.tables, topology: topology, optimizer: target.optimizer,
                                   elementBytes: target.elementBytes)
        var costs: [String: FlexShardPlanner.Cost] = [:]
        var sync: FlexShardPlanner.SyncReport?
        if plan.tables.contains(where: { $0.type == .flexShard && $0.tiers == nil }) {
            (plan, costs, sync) = withTiers(plan, profile: try profile(), spec: spec, target: target, topology: topology)
        }
        return Planned(plan: plan, flexShard: costs, flexShardSync: sync)
    }

    /// The types: one for every table with per-table overrides, or `auto`.
    static func choose(_ spec: ShardingSpec, tables: [TableConfig], topology: Topology,
                       optimizer: EmbeddingOptimizerKind, elementBytes: Int = 4) -> ShardingPlan {
        switch spec.type {
        case .uniform(let type):
            return ShardingPlan.uniform(type, tables: tables, topology: topology, overrides: spec.tables)
        case .auto:
            return ShardingPlan.uniform(.tableWise, tables: tables, topology: topology,
                                        overrides: autoTypes(tables: tables, topology: topology, optimizer: optimizer,
                                                             elementBytes: elementBytes,
                                                             overrides: spec.tables, budget: spec.memoryBudget))
        }
    }

    /// TorchRec-style choice without batch statistics: tables small enough
    /// that all-reducing their whole gradient costs less than sending their
    /// rows are replicated (data_parallel); the rest go table-wise, balanced by
    /// size, or row-wise when one table alone would exceed the budget.
    static func autoTypes(tables: [TableConfig], topology: Topology, optimizer: EmbeddingOptimizerKind, elementBytes: Int = 4,
                          overrides: [String: ShardingType], budget: Int?) -> [String: ShardingType] {
        var types = overrides
        for t in tables where types[t.name] == nil {
            let bytes = t.rows * optimizer.rowBytes(width: t.dim, elementBytes: elementBytes)
            if t.rows <= 256 {
                types[t.name] = .dataParallel
            } else if let b = budget, bytes > b / 2 {
                types[t.name] = topology.nodeCount > 1 ? .tableRowWise : .rowWise
            } else {
                types[t.name] = .tableWise
            }
        }
        return types
    }

    /// Tiers for every FlexShard table without them, planned jointly under one
    /// per-rank budget: by default the row_wise footprint of those tables;
    /// with `sharding.memory_budget_bytes` (the whole plan's per-rank budget),
    /// what the plan's other tables leave of it on their fullest rank.
    static func withTiers(_ plan: ShardingPlan, profile: AccessProfile, spec: ShardingSpec, target: Target,
                          topology: Topology) -> (ShardingPlan, [String: FlexShardPlanner.Cost], FlexShardPlanner.SyncReport) {
        let tables = target.tables
        let todo = plan.tables.indices.compactMap { i -> (Int, Int)? in
            guard plan.tables[i].type == .flexShard, plan.tables[i].tiers == nil,
                  let t = tables.firstIndex(where: { $0.name == plan.tables[i].table }) else { return nil }
            return (i, t)
        }
        let budgetBytesPerRank = spec.memoryBudget.map { total -> Int in
            let flex = Set(todo.map { tables[$0.1].name })
            let others = plan.memoryPerRank(tables: tables.filter { !flex.contains($0.name) }, optimizer: target.optimizer,
                                            elementBytes: target.elementBytes)
            return max(0, total - (others.max() ?? 0))
        }
        let joint = FlexShardPlanner.planJointly(tables: todo.map { (profile.counts[$0.1], tables[$0.1]) }, steps: profile.steps,
                                                 sampledFraction: profile.sampledFraction, topology: topology,
                                                 optimizer: target.optimizer, elementBytes: target.elementBytes,
                                                 budgetBytesPerRank: budgetBytesPerRank, trainingSteps: target.trainingSteps,
                                                 calibration: target.calibration ?? .noLatency)
        let planned = joint.tables
        var result = plan
        var costs: [String: FlexShardPlanner.Cost] = [:]
        for ((i, t), (tiers, cost)) in zip(todo, planned) {
            result.tables[i].tiers = tiers
            costs[tables[t].name] = cost
        }
        return (result, costs, joint.sync)
    }
}

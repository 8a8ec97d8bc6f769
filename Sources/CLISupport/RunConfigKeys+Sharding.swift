import Sharding
import Training

/// Where the tables live, the network the planner prices, and the number
/// formats of rows and their exchanges.
extension RunConfigKeys {
    static let sharding: [(String, Key)] = [
        ("sharding.type", .oneOf(\.sharding.type, ShardingChoice.allCases.map { ($0.name, $0) }, "every table's type not named in sharding.tables")),
        ("sharding.tables.NAME", .named(\.sharding.tables, "one table's type, by the table's name")),
        ("sharding.memory_budget_bytes", .int(\.sharding.memoryBudgetBytes, .ints(0...Int.max), "per-rank embedding memory budget (0: none)")),
        ("sharding.profile_steps", .int(\.sharding.profileSteps, .ints(1...Int.max), "global batches FlexShard profiles")),
        ("sharding.profile_samples", .int(\.sharding.profileSamples, .ints(0...Int.max), "samples of those batches the profile counts (0: every one)")),
        ("sharding.dedup_ids", .bool(\.sharding.dedupIds, "each distinct id crosses the exchange once per rank, feature and step")),
        ("sharding.profile", .string(\.sharding.profilePath, "an access trace FlexShard ranks rows by, instead of profiling the data")),
    ]

    static let topology: [(String, Key)] = [
        ("topology.ranks_per_node", .int(\.topology.ranksPerNode, .ints(1...Int.max), "emulate nodes of this many consecutive ranks (default: the real nodes)")),
        ("topology.intra_node_gibps", .real(\.topology.intraNodeGiBps, .above(0, atMost: 1e9), "bandwidth within a node, GiB/s")),
        ("topology.inter_node_gibps", .real(\.topology.interNodeGiBps, .above(0, atMost: 1e9), "bandwidth between nodes, GiB/s")),
        ("topology.calibration", .string(\.topology.calibration, "a strata bench comm --calibrate file for strata plan's model")),
    ]

    static let precision: [(String, Key)] = [
        ("embedding.precision", .choices(\.precision.embedding, "how rows are stored (optimizer state stays f32)")),
        ("comm.precision", .choices(\.precision.comm, "the pooled rows' payload in the forward exchange")),
        ("comm.backward_precision", .choices(\.precision.commBackward, "the gradients' payload; when not given, bf16 if comm.precision is 16-bit, else fp32")),
    ]
}

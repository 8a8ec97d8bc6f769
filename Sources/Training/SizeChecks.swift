import Cluster
import Foundation
import Sharding

/// Sizes that cannot be met are refused before anything is allocated: every
/// size product is computed with overflow checks naming the keys it comes
/// from, and every plan is checked against a memory budget (by default this
/// rank's share of the machine's memory).
public enum SizeCheck {
    /// `a × b × ...` of the named factors, or a `ConfigError` naming them when
    /// the product does not fit a 64-bit count.
    public static func product(_ factors: [(Int, String)], what: String) throws -> Int {
        var p = 1
        for (v, _) in factors {
            let (r, overflow) = p.multipliedReportingOverflow(by: max(v, 0))
            guard !overflow else {
                let names = factors.map { "\($0.1) (\($0.0))" }.joined(separator: " × ")
                throw ConfigError("\(what) overflows a 64-bit size: \(names); use smaller values")
            }
            p = r
        }
        return p
    }

    /// This rank's share of the machine's memory: physical memory over the
    /// ranks of its node (the real node, whatever `topology.ranks_per_node` emulates).
    public static func machineShare(ranksOnThisNode: Int) -> Int {
        Int(clamping: ProcessInfo.processInfo.physicalMemory / UInt64(max(1, ranksOnThisNode)))
    }
}

extension RunConfig {
    /// The size products a run allocates from config keys, overflow-checked:
    /// each table's rows × width × 4 bytes (weights and at most as many
    /// optimizer floats), the batch's activations and every MLP layer.
    public func checkSizes() throws {
        let d = model.embeddingDim
        let floatsPerRow = try SizeCheck.product([(d, "model.embedding_dim"), (2, "weights and optimizer state")], what: "a table row")
        var tables: [(Int, String)] = [(data.criteoRowsPerTable, "data.criteo_rows_per_table")]
        if data.source == .synthetic {
            tables += [(data.synthetic.itemRows, "data.synthetic.item_rows"), (data.synthetic.userRows, "data.synthetic.user_rows")]
            tables += data.synthetic.extraTables.enumerated().map { ($0.element.rows, "data.synthetic.extra_tables[\($0.offset)]") }
        }
        for t in tables {
            _ = try SizeCheck.product([t, (floatsPerRow, "2 × model.embedding_dim"), (4, "bytes")], what: "the table of \(t.1)")
        }
        let widths = [data.synthetic.denseCount, data.movielens.denseCount] + model.bottom + model.top
        let widest = widths.max() ?? 1
        _ = try SizeCheck.product([(run.batchSize, "run.batch_size"), (widest, "the widest of model.bottom/model.top"), (4, "bytes")],
                                  what: "a layer's activations")
        _ = try SizeCheck.product([(run.batchSize, "run.batch_size"), (max(data.synthetic.historyMaxLength, data.movielens.historyLength), "the history length"),
                                   (d, "model.embedding_dim"), (4, "bytes")], what: "a batch's sequence embeddings")
        for (name, list) in [("model.bottom", model.bottom), ("model.top", model.top)] {
            for (a, b) in zip(list, list.dropFirst()) {
                _ = try SizeCheck.product([(a, "\(name) width \(a)"), (b, "\(name) width \(b)"), (16, "bytes of weights, gradients and state")],
                                          what: "a layer of \(name)")
            }
        }
        _ = try SizeCheck.product([(run.steps, "run.steps"), (run.batchSize, "run.batch_size")], what: "the samples trained")
    }
}

extension Trainer {
    /// Every table's bytes overflow-checked (its rows may come from a data
    /// file), before the planner sums them.
    static func checkTableSizes(_ layout: FeatureLayout, config: RunConfig) throws {
        for t in layout.tables {
            let floats = t.dim + config.optimizer.embedding.stateFloats(width: t.dim)
            _ = try SizeCheck.product([(t.rows, "rows of table '\(t.name)'"), (floats, "its floats per row"), (4, "bytes")],
                                      what: "table '\(t.name)'")
        }
    }

    /// Refuses a plan whose embeddings would not fit before any row is
    /// allocated. An explicit `sharding.memory_budget_bytes` was checked by the
    /// planner; without one, each rank's share of its machine's memory.
    static func checkMemory(plan: ShardingPlan, layout: FeatureLayout, config: RunConfig, topology: Topology,
                            worldRanks: [Int]?, rank: Int) throws {
        guard config.sharding.memoryBudget == nil else { return }
        let node = topology.nodeOfRank.isEmpty ? 0 : topology.nodeOfRank[min(rank, topology.nodeOfRank.count - 1)]
        let share = SizeCheck.machineShare(ranksOnThisNode: topology.nodeOfRank.filter { $0 == node }.count)
        let mem = plan.memoryPerRank(tables: layout.tables, optimizer: config.optimizer.embedding, topology: topology,
                                     worldRanks: worldRanks)
        if let r = mem.indices.max(by: { mem[$0] < mem[$1] }), mem[r] > share {
            throw ConfigError("the plan needs \(mem[r]) bytes of embeddings on rank \(r), over this rank's share of the "
                              + "machine's memory (\(share) bytes); shrink the tables, use more ranks or another sharding.type, "
                              + "or set sharding.memory_budget_bytes to override")
        }
    }
}

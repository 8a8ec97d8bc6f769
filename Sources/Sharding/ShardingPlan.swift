import Cluster

/// Where every embedding row lives: per table, its type and its shards.
///
/// A shard is a block of columns whose rows are split in contiguous blocks
/// over a list of ranks (`ranks`). Every type is a special case:
///
///     table_wise      [ColumnShard(columns 0..<D, ranks [o])]
///     row_wise        [ColumnShard(columns 0..<D, ranks [0, 1, ..., R-1])]
///     table_row_wise  [ColumnShard(columns 0..<D, ranks of one node)]
///     column_wise     [ColumnShard(0..<D/2, [a]), ColumnShard(D/2..<D, [b])]
///     data_parallel   [ColumnShard(columns 0..<D, ranks: every rank)], replicated
///
/// Row x of a shard over n ranks with block size `ceil(rows / n)` lives on
/// `ranks[x / block]` at local row `x % block`.
public struct ShardingPlan: Sendable, Codable, Equatable {
    public var worldSize: Int
    public var tables: [TableSharding]

    public init(worldSize: Int, tables: [TableSharding]) {
        self.worldSize = worldSize
        self.tables = tables
    }

    public func sharding(of table: String) -> TableSharding? { tables.first { $0.table == table } }
}

public struct TableSharding: Sendable, Codable, Equatable {
    public var table: String
    public var type: ShardingType
    public var shards: [ColumnShard]
    /// FlexShard's per-row tiers (type `flexshard` only).
    public var tiers: RowTiers?

    public init(table: String, type: ShardingType, shards: [ColumnShard], tiers: RowTiers? = nil) {
        self.table = table; self.type = type; self.shards = shards; self.tiers = tiers
    }

    /// Every rank holds every row: lookups are local.
    public var isReplicated: Bool { type == .dataParallel }
}

public struct ColumnShard: Sendable, Codable, Equatable {
    public var columnStart: Int
    public var width: Int
    public var ranks: [Int]

    public init(columnStart: Int, width: Int, ranks: [Int]) {
        self.columnStart = columnStart; self.width = width; self.ranks = ranks
    }

    /// Rows per rank block (the last block may be shorter).
    @inline(__always)
    public func blockRows(tableRows: Int) -> Int { max(1, (tableRows + ranks.count - 1) / ranks.count) }

    /// Rows stored by the i-th rank of `ranks`.
    public func localRows(rankIndex i: Int, tableRows: Int) -> Int {
        let b = blockRows(tableRows: tableRows)
        return max(0, min(tableRows, (i + 1) * b) - i * b)
    }
}

/// A plan that cannot run, named so the user can fix the config or plan file.
public struct PlanError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ message: String) { description = message }
}

extension ShardingPlan {
    /// Checks the plan against the model's tables and the world before training.
    /// `topology` (with the plan ranks' `worldRanks`), when given, places
    /// FlexShard's warm tier per node for the budget check, as the stores do
    /// (without it, per world: fewer bytes).
    public func validate(tables configs: [TableConfig], worldSize: Int, memoryBudgetBytes: Int? = nil,
                         optimizer: EmbeddingOptimizerKind = .rowwiseAdagrad, topology: Topology? = nil,
                         worldRanks: [Int]? = nil, elementBytes: Int = 4) throws {
        guard self.worldSize == worldSize else {
            throw PlanError("the plan was made for \(self.worldSize) ranks but the world has \(worldSize)")
        }
        var listed: [String: Int] = [:]
        for (i, t) in tables.enumerated() {
            if let first = listed[t.table] {
                throw PlanError("the plan lists table '\(t.table)' twice (tables[\(first)] and tables[\(i)]); keep one")
            }
            listed[t.table] = i
        }
        let known = Set(configs.map(\.name))
        for t in tables where !known.contains(t.table) {
            throw PlanError("the plan names unknown table '\(t.table)' (tables: \(configs.map(\.name).joined(separator: ", ")))")
        }
        for c in configs {
            guard let t = sharding(of: c.name) else { throw PlanError("the plan has no sharding for table '\(c.name)'") }
            guard !t.shards.isEmpty else { throw PlanError("table '\(c.name)' has no shards") }
            var col = 0
            for s in t.shards {
                guard s.columnStart == col, s.width > 0 else {
                    throw PlanError("table '\(c.name)': column shards must cover 0..<\(c.dim) in order without gaps")
                }
                col += s.width
                guard !s.ranks.isEmpty else { throw PlanError("table '\(c.name)': a shard with no ranks") }
                for r in s.ranks where r < 0 || r >= worldSize {
                    throw PlanError("table '\(c.name)' is placed on rank \(r), outside the world of \(worldSize) ranks (0..<\(worldSize))")
                }
                guard Set(s.ranks).count == s.ranks.count else { throw PlanError("table '\(c.name)': a rank appears twice in one shard") }
            }
            guard col == c.dim else { throw PlanError("table '\(c.name)': shards cover \(col) of \(c.dim) columns") }
            if t.type == .dataParallel, t.shards.count != 1 || t.shards[0].ranks.count != worldSize {
                throw PlanError("table '\(c.name)': data_parallel must place the whole table on every rank")
            }
            if t.type == .flexShard {
                guard let tiers = t.tiers else { throw PlanError("table '\(c.name)': flexshard needs its row tiers") }
                guard tiers.order.count == c.rows, tiers.hot >= 0, tiers.warm >= 0, tiers.hot + tiers.warm <= c.rows,
                      tiers.seenCold >= 0, tiers.seenCold <= tiers.cold else {
                    throw PlanError("table '\(c.name)': flexshard tiers do not fit the table's \(c.rows) rows")
                }
                var seen = [Bool](repeating: false, count: c.rows)
                for r in tiers.order {
                    guard r >= 0, Int(r) < c.rows, !seen[Int(r)] else {
                        throw PlanError("table '\(c.name)': flexshard row order is not a permutation of the rows")
                    }
                    seen[Int(r)] = true
                }
                guard t.shards.count == 1, t.shards[0].ranks == Array(0..<worldSize) else {
                    throw PlanError("table '\(c.name)': flexshard spans every rank")
                }
            }
        }
        if let budget = memoryBudgetBytes {
            let mem = topology.map { memoryPerRank(tables: configs, optimizer: optimizer, topology: $0, worldRanks: worldRanks,
                                                   elementBytes: elementBytes) }
                ?? memoryPerRank(tables: configs, optimizer: optimizer, elementBytes: elementBytes)
            if let (r, bytes) = mem.enumerated().max(by: { $0.element < $1.element }).map({ ($0.offset, $0.element) }), bytes > budget {
                throw PlanError("the plan needs \(bytes) bytes of embeddings on rank \(r), over the memory budget of \(budget) bytes")
            }
        }
    }

    /// Bytes of embedding rows plus optimizer state on each rank.
    /// FlexShard's warm tier depends on the node layout: `nodeRanks[0]` ranks
    /// per node and each rank's index inside its node (empty: one node).
    public func memoryPerRank(tables configs: [TableConfig], optimizer: EmbeddingOptimizerKind,
                              nodeRanks: [Int] = [], nodeLocalRank: [Int] = [], elementBytes: Int = 4) -> [Int] {
        let l = nodeRanks.isEmpty ? worldSize : nodeRanks[0]
        return memoryPerRank(tables: configs, optimizer: optimizer, elementBytes: elementBytes) { r in (l, nodeLocalRank.isEmpty ? r % l : nodeLocalRank[r]) }
    }

    /// `memoryPerRank` with the node layout of `topology`, as the embedding
    /// stores place the warm tier: plan rank r is world rank `worldRanks[r]`
    /// (a sweep group's communicator is part of the world), among the world
    /// ranks on its node.
    public func memoryPerRank(tables configs: [TableConfig], optimizer: EmbeddingOptimizerKind, topology: Topology,
                              worldRanks: [Int]? = nil, elementBytes: Int = 4) -> [Int] {
        var place = [(peers: Int, index: Int)](repeating: (1, 0), count: topology.worldSize)
        for node in 0..<topology.nodeCount {
            let ranks = topology.ranks(onNode: node)
            for (i, r) in ranks.enumerated() { place[r] = (ranks.count, i) }
        }
        let world = worldRanks ?? Array(0..<worldSize)
        return memoryPerRank(tables: configs, optimizer: optimizer, elementBytes: elementBytes) { place[world[$0]] }
    }

    /// `warmPlace(r)`: the ranks of rank r's node and r's index among them.
    private func memoryPerRank(tables configs: [TableConfig], optimizer: EmbeddingOptimizerKind, elementBytes: Int,
                               warmPlace: (Int) -> (peers: Int, index: Int)) -> [Int] {
        var bytes = [Int](repeating: 0, count: worldSize)
        for c in configs {
            guard let t = sharding(of: c.name) else { continue }
            if let tiers = t.tiers {
                let perRow = optimizer.rowBytes(width: c.dim, elementBytes: elementBytes)
                for r in 0..<worldSize {
                    let node = warmPlace(r)
                    let warm = FlexShardCounts.share(tiers.warm, of: node.peers, index: node.index)
                    let cold = tiers.coldRowsAtStart(of: worldSize, index: r)
                    // The lazy store's slot map (4 B a row not stored at the
                    // start) and list (4 B a row stored later, for the room taken).
                    bytes[r] += (tiers.hot + warm + cold.room) * perRow + (cold.capacity - cold.stored + cold.room - cold.stored) * 4
                }
                continue
            }
            for s in t.shards {
                for (i, r) in s.ranks.enumerated() {
                    let rows = t.isReplicated ? c.rows : s.localRows(rankIndex: i, tableRows: c.rows)
                    bytes[r] += rows * optimizer.rowBytes(width: s.width, elementBytes: elementBytes)
                }
            }
        }
        return bytes
    }
}

/// How many of `n` tier rows land on member `index` of `peers` (round robin).
public enum FlexShardCounts {
    @inline(__always)
    public static func share(_ n: Int, of peers: Int, index: Int) -> Int {
        n / peers + (index < n % peers ? 1 : 0)
    }
}

import Cluster
import Sharding

/// Where one table's rows live: the one type that knows a placement. The
/// router, the lanes, the stores, the local lookups, the replica syncs and
/// the traffic predictor ask it; none of them knows which planner made it.
///
/// A placement is a list of parts. A part is a set of rows (its indices
/// `0 ..< rows`, columns `columnStart ..< columnStart + width`) spread over
/// the ranks one way (`Spread`) and kept identical one way (`Sync`). A row
/// maps to a part and an index in it: through `codes` (each row in exactly
/// one part, as FlexShard's tiers), or, with no codes, to index `row` of
/// every part (column shards: each part holds every row, its own columns).
///
///     table_wise, row_wise,      one part per column shard, blocks over the
///     table_row_wise, column_wise   shard's ranks, no sync
///     data_parallel              one part, every rank, the whole table's gradient allreduced
///     flexshard                  [hot: every rank, touched rows synced over the world;
///                                 warm: one copy per node, synced across nodes;
///                                 cold: round-robin over the world, no sync]
///
/// A new row placement is a new way of filling `parts` (and `codes`) from
/// its plan in `init`; every unit above follows.
package struct RowPlacement {
    /// How one part's indices are spread over the ranks. `member` is the
    /// position in the part's lane (the communicator its lookups use), the
    /// local row the index's row within that member's share.
    package enum Spread: Equatable, Sendable {
        /// A copy on every rank, read by its own rank (no exchange): index j
        /// is local row j everywhere.
        case everyRank
        /// One copy per node: index j on node-local rank j % L, local row j / L.
        case perNode(ranksPerNode: Int)
        /// One copy in the world: index j on world rank j % R, local row j / R.
        case roundRobin(ranks: Int)
        /// Contiguous blocks: index j on `ranks[j / blockRows]`, local row j % blockRows.
        case blocks(ranks: [Int], blockRows: Int)
    }

    /// How a part's copies are kept identical.
    package enum Sync: Equatable, Sendable {
        /// One copy: nothing to sync.
        case none
        /// `ReplicaSync` each step: the rows some copy touched, across the
        /// copies, by the given cross-node exchange.
        case touchedRows(RowTiers.CrossNodeSync)
        /// Every rank's gradient of the whole part allreduced (data_parallel).
        case wholeTable
    }

    package struct Part: Equatable, Sendable {
        package var spread: Spread
        package var sync: Sync
        /// Indices of the part (rows of the table it holds).
        package var rows: Int
        package var columnStart: Int
        package var width: Int
        /// Rows stored lazily (FlexShard's cold tier): the first `seen` indices
        /// are stored from the start, room for `reserve` more is taken, the
        /// rest get a slot when first touched. nil: every row from the start.
        package var lazy: (seen: Int, reserve: Int)? {
            get { lazySeen.map { ($0, lazyReserve) } }
            set { lazySeen = newValue?.seen; lazyReserve = newValue?.reserve ?? 0 }
        }
        private var lazySeen: Int?
        private var lazyReserve = 0

        package init(spread: Spread, sync: Sync, rows: Int, columnStart: Int, width: Int) {
            self.spread = spread; self.sync = sync; self.rows = rows; self.columnStart = columnStart; self.width = width
        }
    }

    package let parts: [Part]
    /// row -> part (top 2 bits) and index (`RowTiers.codes` format); nil: every part holds index `row`.
    let codes: PartCodes?
    /// index -> row: `order[partStart[p] + j]` is part p's index j (with `codes`).
    let order: [Int32]
    let partStart: [Int]

    /// The placement `sharding` gives `table` on `worldSize` ranks in nodes
    /// of `nodeSize` (this is where a planner's output becomes rows).
    package init(_ sharding: TableSharding, table: TableConfig, worldSize R: Int, nodeSize L: Int) {
        let tableRows = table.rows, D = table.dim
        if sharding.isReplicated {
            self.init(parts: [Part(spread: .everyRank, sync: .wholeTable, rows: tableRows, columnStart: 0, width: D)])
        } else if let tiers = sharding.tiers {
            // Parts in tier order, so a tier code names its part.
            var cold = Part(spread: .roundRobin(ranks: R), sync: .none, rows: tiers.cold, columnStart: 0, width: D)
            cold.lazy = (tiers.seenCold, tiers.lazyReserve ?? 0)
            self.init(parts: [Part(spread: .everyRank, sync: .touchedRows(tiers.hotSync ?? .allreduce), rows: tiers.hot,
                                   columnStart: 0, width: D),
                              Part(spread: .perNode(ranksPerNode: L), sync: .touchedRows(tiers.warmSync ?? .allreduce),
                                   rows: tiers.warm, columnStart: 0, width: D),
                              cold],
                      codes: PartCodes(tiers.codes()), order: tiers.order)
        } else {
            self.init(parts: sharding.shards.map {
                Part(spread: .blocks(ranks: $0.ranks, blockRows: $0.blockRows(tableRows: tableRows)), sync: .none,
                     rows: tableRows, columnStart: $0.columnStart, width: $0.width)
            })
        }
    }

    /// `codes` and `order` together or not at all; with them, at most 4 parts.
    package init(parts: [Part], codes: PartCodes? = nil, order: [Int32] = []) {
        precondition((codes == nil) == order.isEmpty && (codes == nil || parts.count <= 4), "a coded placement needs its order")
        self.parts = parts; self.codes = codes; self.order = order
        var start: [Int] = [], at = 0
        for p in parts { start.append(at); at += codes == nil ? 0 : p.rows }
        partStart = start
    }

    /// Whether each row sits in one part (else every part holds every row).
    package var isCoded: Bool { codes != nil }

    // MARK: the questions, per row (plan time, tests, the predictor)

    /// The parts holding `row` and its index in each.
    package func homes(ofRow row: Int) -> [(part: Int, index: Int)] {
        guard let codes else { return parts.indices.map { ($0, row) } }
        let code = codes.codes[row]
        return [(Int(RowTiers.tier(code)), RowTiers.index(code))]
    }

    /// World ranks of the part's lane for a rank on `node` (the world for
    /// blocks and round-robin, the node for per-node, the rank itself for every-rank).
    func lane(_ p: Int, rank: Int, topology: Topology) -> [Int] {
        switch parts[p].spread {
        case .everyRank: return [rank]
        case .perNode: return topology.ranks(onNode: topology.nodeOfRank[rank])
        case .roundRobin, .blocks: return Array(0..<topology.worldSize)
        }
    }

    /// The world rank that serves `requester`'s lookup of `row` in part `p`, and the local row there.
    package func owner(ofRow row: Int, part p: Int, requester: Int, topology: Topology) -> (rank: Int, local: Int)? {
        guard let (member, local) = locator(part: p).owner(ofRow: row) else { return nil }
        let lane = lane(p, rank: requester, topology: topology)
        if case .blocks(let ranks, _) = parts[p].spread { return (ranks[member], local) }
        return member < lane.count ? (lane[member], local) : nil
    }

    /// World ranks holding a copy of `row` in part `p` (empty: not this part's), increasing.
    package func copies(ofRow row: Int, part p: Int, topology: Topology) -> [Int] {
        guard let (member, _) = locator(part: p).owner(ofRow: row) else { return [] }
        switch parts[p].spread {
        case .everyRank: return Array(0..<topology.worldSize)
        case .perNode:
            return (0..<topology.nodeCount).compactMap { n in
                let ranks = topology.ranks(onNode: n)
                return member < ranks.count ? ranks[member] : nil
            }.sorted()
        case .roundRobin: return [member]
        case .blocks(let ranks, _): return [ranks[member]]
        }
    }

    /// World ranks whose copies of `row` (part `p`) sum their gradients each
    /// step: every copy of a synced part; none where there is one copy.
    package func syncGroup(ofRow row: Int, part p: Int, topology: Topology) -> [Int] {
        let copies = copies(ofRow: row, part: p, topology: topology)
        return parts[p].sync == .none || copies.count < 2 ? [] : copies
    }

    /// Part `p`'s cross-node exchange on `topology`: gather needs several
    /// nodes of equal size when every rank holds a copy (a plan made for
    /// another topology, as on resume, falls back to allreduce).
    package func crossNodeSync(part p: Int, on topology: Topology) -> RowTiers.CrossNodeSync {
        guard case .touchedRows(let mode) = parts[p].sync else { return .allreduce }
        if case .everyRank = parts[p].spread {
            return mode == .gather && topology.nodeCount > 1 && topology.uniformRanksPerNode != nil ? .gather : .allreduce
        }
        return mode
    }

    // MARK: one rank's share of a part (the stores)

    /// Member `member`'s share of part `p`: local rows stored from the start,
    /// room taken at the start, and the most it may hold.
    package func share(part p: Int, member m: Int) -> (stored: Int, room: Int, capacity: Int) {
        let part = parts[p]
        let all: Int
        switch part.spread {
        case .everyRank: all = part.rows
        case .perNode(let L): all = FlexShardCounts.share(part.rows, of: L, index: m)
        case .roundRobin(let R): all = FlexShardCounts.share(part.rows, of: R, index: m)
        case .blocks(let ranks, _):
            all = ColumnShard(columnStart: part.columnStart, width: part.width, ranks: ranks).localRows(rankIndex: m, tableRows: part.rows)
        }
        guard let lazy = part.lazy else { return (all, all, all) }
        let peers = locator(part: p).peers
        let stored = FlexShardCounts.share(lazy.seen, of: peers, index: m)
        return (stored, min(all, stored + (lazy.reserve + peers - 1) / peers), all)
    }

    /// This rank's member position in part `p` (nil: it holds none of it):
    /// `worldRank` in the world, `nodeLocal` its place on its node.
    package func member(part p: Int, worldRank: Int, nodeLocal: Int) -> Int? {
        switch parts[p].spread {
        case .everyRank: return 0
        case .perNode: return nodeLocal
        case .roundRobin: return worldRank
        case .blocks(let ranks, _): return ranks.firstIndex(of: worldRank)
        }
    }

    /// The map between member `m`'s local rows of part `p` and the table's rows.
    package func rowMap(part p: Int, member m: Int) -> ShardStore.RowMap {
        if codes == nil, case .blocks(_, let b) = parts[p].spread { return .contiguous(first: m * b) }
        if codes == nil, case .everyRank = parts[p].spread { return .contiguous(first: 0) }
        return .strided(locator(part: p), member: m)
    }

    // MARK: the per-id view (step path)

    /// The step loops' view of one part: made once per lookup group, asked per id.
    package func locator(part p: Int) -> Locator {
        let peers: Int, blockRows: Int
        switch parts[p].spread {
        case .everyRank: peers = 1; blockRows = 0
        case .perNode(let L): peers = L; blockRows = 0
        case .roundRobin(let R): peers = R; blockRows = 0
        case .blocks(let ranks, let b): peers = ranks.count; blockRows = b
        }
        return Locator(codes: codes, part: UInt32(p), peers: peers, blockRows: blockRows, order: order,
                       start: p < partStart.count ? partStart[p] : 0)
    }

    /// One part, for the per-id loops: row -> index -> (member, local row) and back.
    /// Round-robin (`blockRows` 0): index j on member j % peers at local row
    /// j / peers; blocks: on member j / blockRows at j % blockRows.
    package struct Locator {
        let codes: PartCodes?
        let part: UInt32
        let peers: Int
        let blockRows: Int
        let order: [Int32]
        let start: Int

        /// `row`'s index in this part, or nil when the row is another part's.
        @inline(__always)
        package func index(ofRow row: Int) -> Int? {
            guard let codes else { return row }
            let code = codes.codes[row]
            return RowTiers.tier(code) == part ? RowTiers.index(code) : nil
        }

        /// The member holding `row` (its position in the lane) and its local row there.
        @inline(__always)
        package func owner(ofRow row: Int) -> (member: Int, local: Int)? {
            guard let j = index(ofRow: row) else { return nil }
            if blockRows > 0 {
                let i = j / blockRows
                return (i, j - i * blockRows)
            }
            return (j % peers, j / peers)
        }

        /// Whether every row of the table is in this part (no other part's rows to skip).
        package var isEveryRow: Bool { codes == nil }

        /// The table row of member `m`'s local row `r`.
        @inline(__always)
        package func row(ofLocal r: Int, member m: Int) -> Int {
            let j = blockRows > 0 ? m * blockRows + r : r * peers + m
            return codes == nil ? j : Int(order[start + j])
        }
    }
}

/// Row -> (part, index) codes of one table (`RowTiers.codes` format), shared
/// by its lookup groups and stores.
package final class PartCodes {
    let codes: [UInt32]
    init(_ codes: [UInt32]) { self.codes = codes }
}

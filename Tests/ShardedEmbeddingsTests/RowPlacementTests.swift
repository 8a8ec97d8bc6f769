import XCTest
import Cluster
import ShardedEmbeddings
import Sharding

/// `RowPlacement` by itself, for every plan type on 1-8 ranks (nodes of 1,
/// 2, 4 or all ranks): each row's owner for every requester, its local row,
/// its copies and its sync group against a naive reference read straight off
/// the plan (blocks from the shard list, FlexShard's tiers by scanning
/// `order`); and each rank's stores, made from `share` and `rowMap` as the
/// collection makes them, hold exactly the rows the reference puts on that
/// rank. Plus the worked example of docs/DESIGN.md, value by value.
final class RowPlacementTests: XCTestCase {
    let table = TableConfig(name: "t", rows: 29, dim: 8)

    /// Where the plan puts a row, one entry per column shard holding it.
    struct Home: Equatable, CustomStringConvertible {
        var columnStart: Int
        /// Per requesting rank: the rank serving its lookup and the local row there.
        var owner: [[Int]]
        var copies: [Int]
        var sync: [Int]
        var description: String { "columns from \(columnStart): owner \(owner), copies \(copies), sync \(sync)" }
    }

    /// The naive reference, from the plan's own words (ShardingPlan's and RowTiers' comments).
    func reference(_ s: TableSharding, row: Int, topology topo: Topology) -> [Home] {
        let R = topo.worldSize, everyone = Array(0..<R)
        let synced = { (copies: [Int]) in copies.count > 1 ? copies : [] }
        if s.type == .dataParallel {
            return [Home(columnStart: 0, owner: everyone.map { [$0, row] }, copies: everyone, sync: synced(everyone))]
        }
        if let tiers = s.tiers {
            let i = tiers.order.firstIndex(of: Int32(row))!
            if i < tiers.hot {
                return [Home(columnStart: 0, owner: everyone.map { [$0, i] }, copies: everyone, sync: synced(everyone))]
            }
            if i < tiers.hot + tiers.warm {
                let j = i - tiers.hot, L = topo.ranks(onNode: 0).count
                let copies = (0..<topo.nodeCount).map { topo.ranks(onNode: $0)[j % L] }
                let owner = everyone.map { q in [topo.ranks(onNode: topo.nodeOfRank[q])[j % L], j / L] }
                return [Home(columnStart: 0, owner: owner, copies: copies, sync: synced(copies))]
            }
            let j = i - tiers.hot - tiers.warm
            return [Home(columnStart: 0, owner: everyone.map { _ in [j % R, j / R] }, copies: [j % R], sync: [])]
        }
        return s.shards.map { shard in
            let block = (table.rows + shard.ranks.count - 1) / shard.ranks.count
            let o = shard.ranks[row / block]
            return Home(columnStart: shard.columnStart, owner: everyone.map { _ in [o, row % block] }, copies: [o], sync: [])
        }
    }

    /// FlexShard tiers over a seeded shuffle of the rows, lazy cold rows included.
    func flexShard(_ topo: Topology, hot: Int, warm: Int) -> TableSharding {
        var order = (0..<table.rows).map(Int32.init), s: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(topo.worldSize + 3 * hot + warm)
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17
            order.swapAt(i, Int(s % UInt64(i + 1)))
        }
        let cold = table.rows - hot - warm
        return TableSharding(table: table.name, type: .flexShard,
                             shards: [ColumnShard(columnStart: 0, width: table.dim, ranks: Array(0..<topo.worldSize))],
                             tiers: RowTiers(order: order, hot: hot, warm: warm, seenCold: cold / 2, lazyReserve: 3))
    }

    func check(_ s: TableSharding, _ topo: Topology, _ what: String) {
        let R = topo.worldSize, L = topo.ranks(onNode: 0).count
        let placement = RowPlacement(s, table: table, worldSize: R, nodeSize: L)
        var held = [[Int: Set<Int>]](repeating: [:], count: R)   // rank -> column start -> rows the reference puts there
        for row in 0..<table.rows {
            let want = reference(s, row: row, topology: topo)
            let got = placement.homes(ofRow: row).map { p, _ in
                Home(columnStart: placement.parts[p].columnStart,
                     owner: (0..<R).map { q in
                         placement.owner(ofRow: row, part: p, requester: q, topology: topo).map { [$0.rank, $0.local] } ?? []
                     },
                     copies: placement.copies(ofRow: row, part: p, topology: topo),
                     sync: placement.syncGroup(ofRow: row, part: p, topology: topo))
            }
            XCTAssertEqual(got, want, "\(what): row \(row)")
            for h in want { for r in h.copies { held[r][h.columnStart, default: []].insert(row) } }
        }
        // Each rank's stores: the rows the reference put on it, each at the local row its owner lookup names.
        for me in 0..<R {
            let nodeLocal = topo.ranks(onNode: topo.nodeOfRank[me]).firstIndex(of: me)!
            var stored: [Int: Set<Int>] = [:]
            for (p, part) in placement.parts.enumerated() {
                guard let m = placement.member(part: p, worldRank: me, nodeLocal: nodeLocal) else { continue }
                let share = placement.share(part: p, member: m)
                XCTAssertLessThanOrEqual(share.stored, share.room, "\(what): rank \(me) part \(p)")
                XCTAssertLessThanOrEqual(share.room, share.capacity, "\(what): rank \(me) part \(p)")
                let store = ShardStore(table: 0, config: table, columnStart: part.columnStart, width: part.width,
                                       map: placement.rowMap(part: p, member: m), rows: share.stored, capacityRows: share.capacity,
                                       roomRows: share.room, seed: 1, optimizer: .sgd)
                for row in 0..<table.rows {
                    guard let local = store.local(ofGlobal: row) else { continue }
                    stored[part.columnStart, default: []].insert(row)
                    let owner = placement.owner(ofRow: row, part: p, requester: me, topology: topo)
                    XCTAssertEqual(owner?.local, local, "\(what): rank \(me) row \(row): local row")
                    if local < share.stored { XCTAssertEqual(store.globalRow(ofSlot: local), row, "\(what): rank \(me) local \(local)") }
                }
            }
            XCTAssertEqual(stored, held[me], "\(what): rows stored on rank \(me)")
        }
    }

    func testOwnersCopiesAndSyncGroupsMatchTheNaiveReference() throws {
        for R in 1...8 {
            for perNode in Set([1, 2, 4, R]) where R % perNode == 0 {
                let topo = try Topology.emulated(worldSize: R, ranksPerNode: perNode)
                for type in ShardingType.baselines {
                    let plan = ShardingPlan.uniform(type, tables: [table], topology: topo)
                    check(plan.tables[0], topo, "\(type.rawValue), \(R) ranks, \(perNode) a node")
                }
                for (hot, warm) in [(0, 0), (3, 0), (0, 7), (4, 9), (29, 0), (2, 27)] {
                    check(flexShard(topo, hot: hot, warm: warm), topo, "flexshard hot \(hot) warm \(warm), \(R) ranks, \(perNode) a node")
                }
            }
        }
    }

    /// docs/DESIGN.md, "Row placement": one table of 10 rows, 4 ranks as 2 nodes of 2.
    func testTheDesignExample() throws {
        let topo = try Topology.emulated(worldSize: 4, ranksPerNode: 2)
        let t = TableConfig(name: "t", rows: 10, dim: 4)
        let flex = TableSharding(table: "t", type: .flexShard, shards: [ColumnShard(columnStart: 0, width: 4, ranks: [0, 1, 2, 3])],
                                 tiers: RowTiers(order: [7, 2, 9, 0, 4, 5, 1, 3, 6, 8], hot: 1, warm: 3, seenCold: 6))
        let p = RowPlacement(flex, table: t, worldSize: 4, nodeSize: 2)
        func row(_ r: Int) -> (part: Int, owners: [[Int]], copies: [Int], sync: [Int]) {
            let part = p.homes(ofRow: r)[0].part
            return (part, (0..<4).map { q in p.owner(ofRow: r, part: part, requester: q, topology: topo).map { [$0.rank, $0.local] }! },
                    p.copies(ofRow: r, part: part, topology: topo), p.syncGroup(ofRow: r, part: part, topology: topo))
        }
        // Hot row 7: every rank reads its own copy (local row 0); all four sync it.
        XCTAssertEqual(row(7).part, 0)
        XCTAssertEqual(row(7).owners, [[0, 0], [1, 0], [2, 0], [3, 0]])
        XCTAssertEqual(row(7).sync, [0, 1, 2, 3])
        // Warm row 9 (warm index 1): node-local rank 1 of each node, local row 0; ranks 1 and 3 sync it.
        XCTAssertEqual(row(9).part, 1)
        XCTAssertEqual(row(9).owners, [[1, 0], [1, 0], [3, 0], [3, 0]])
        XCTAssertEqual(row(9).copies, [1, 3])
        XCTAssertEqual(row(9).sync, [1, 3])
        // Warm row 0 (warm index 2): node-local rank 0, local row 1.
        XCTAssertEqual(row(0).owners, [[0, 1], [0, 1], [2, 1], [2, 1]])
        XCTAssertEqual(row(0).sync, [0, 2])
        // Cold row 6 (cold index 4): rank 4 % 4 = 0, local row 1; one copy, no sync.
        XCTAssertEqual(row(6).part, 2)
        XCTAssertEqual(row(6).owners, [[0, 1], [0, 1], [0, 1], [0, 1]])
        XCTAssertEqual(row(6).copies, [0])
        XCTAssertEqual(row(6).sync, [])
        // row_wise: blocks of 3, row 7 on rank 2 at local row 1.
        let rowWise = RowPlacement(ShardingPlan.uniform(.rowWise, tables: [t], topology: topo).tables[0], table: t, worldSize: 4, nodeSize: 2)
        XCTAssertEqual(rowWise.owner(ofRow: 7, part: 0, requester: 3, topology: topo)?.rank, 2)
        XCTAssertEqual(rowWise.owner(ofRow: 7, part: 0, requester: 3, topology: topo)?.local, 1)
        XCTAssertEqual(rowWise.copies(ofRow: 7, part: 0, topology: topo), [2])
        XCTAssertEqual(rowWise.syncGroup(ofRow: 7, part: 0, topology: topo), [])
    }

    /// The exchange each synced part uses across nodes: the hot part's gather
    /// falls back to allreduce where it cannot run (one node, nodes of unequal
    /// size), as `RowTiers.hotSync` says; the warm part's is the plan's.
    func testCrossNodeSyncFollowsThePlanAndFallsBack() throws {
        let topologies = [try Topology.emulated(worldSize: 4, ranksPerNode: 2), try Topology.emulated(worldSize: 4, ranksPerNode: 4),
                          Topology(nodeOfRank: [0, 0, 1]), try Topology.emulated(worldSize: 6, ranksPerNode: 1)]
        for topo in topologies {
            for hot in [RowTiers.CrossNodeSync.allreduce, .gather] {
                for warm in [RowTiers.CrossNodeSync.allreduce, .gather] {
                    var s = flexShard(topo, hot: 5, warm: 6)
                    s.tiers!.hotSync = hot; s.tiers!.warmSync = warm
                    let p = RowPlacement(s, table: table, worldSize: topo.worldSize, nodeSize: topo.ranks(onNode: 0).count)
                    let what = "nodes \(topo.nodeOfRank), hot \(hot), warm \(warm)"
                    XCTAssertEqual(p.crossNodeSync(part: 0, on: topo), RowTiers.hotSync(s.tiers!, on: topo), what)
                    XCTAssertEqual(p.crossNodeSync(part: 1, on: topo), warm, what)
                }
            }
        }
    }
}

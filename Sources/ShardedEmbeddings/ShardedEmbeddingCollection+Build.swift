import Collectives
import Tensors
import Sharding

/// The parts `ShardedEmbeddingCollection.init` assembles: each table's stores
/// on this rank, which store a lookup group reads, and the replica syncs.
/// What each holds comes from the tables' `RowPlacement`s.
extension ShardedEmbeddingCollection {
    /// Every table's stores on this rank: one per part of its placement that
    /// this rank holds a share of, in table then part order (a part it holds
    /// none of, as a column shard on other ranks, is nil).
    static func makeStores(tables: [TableConfig], placements: [RowPlacement], rank me: Int, nodeLocal: Int, seed: UInt64,
                           optimizer: EmbeddingOptimizerKind, precision: RowPrecision) -> (stores: [ShardStore], tableStores: [[Int?]]) {
        var stores: [ShardStore] = []
        var tableStores: [[Int?]] = []
        for (t, placement) in placements.enumerated() {
            let c = tables[t]
            tableStores.append(placement.parts.indices.map { p in
                guard let m = placement.member(part: p, worldRank: me, nodeLocal: nodeLocal) else { return nil }
                let part = placement.parts[p], share = placement.share(part: p, member: m)
                stores.append(ShardStore(table: t, config: c, columnStart: part.columnStart, width: part.width,
                                         map: placement.rowMap(part: p, member: m), rows: share.stored,
                                         capacityRows: share.capacity, roomRows: share.room, seed: seed, optimizer: optimizer,
                                         precision: precision))
                return stores.count - 1
            })
        }
        return (stores, tableStores)
    }

    /// The store a lookup group reads on this rank (-1: a part this rank holds none of).
    static func store(of g: LookupGroup, in tableStores: [[Int?]]) -> Int {
        tableStores[g.table][g.part] ?? -1
    }

    /// The replica syncs of the parts synced by their touched rows: a part on
    /// every rank over the world (or node then cross-node), a part per node
    /// over the cross-node group.
    static func makeSyncs(placements: [RowPlacement], tableStores: [[Int?]], stores: [ShardStore], comm: Communicator,
                          node nodeComm: Communicator?, cross crossComm: Communicator?) -> [ReplicaSync] {
        let topo = comm.topology
        let multiNode = topo.nodeCount > 1
        // One bucket per (every rank or per node, cross-node exchange, width):
        // every table's rows of it synced by one exchange a step. Buckets and
        // members go in table order, the same on every rank.
        var syncs: [ReplicaSync] = []
        func bucket(_ key: (everyRank: Bool, mode: RowTiers.CrossNodeSync), width: Int, make: () -> ReplicaSync) -> ReplicaSync {
            if let b = syncs.first(where: { $0.gradientsAreLocal == key.everyRank && $0.mode == key.mode && $0.width == width }) { return b }
            let b = make()
            b.gradientsAreLocal = key.everyRank
            syncs.append(b)
            return b
        }
        for (t, placement) in placements.enumerated() {
            for (p, part) in placement.parts.enumerated() {
                guard case .touchedRows = part.sync, part.rows > 0, let s = tableStores[t][p] else { continue }
                let D = part.width, mode = placement.crossNodeSync(part: p, on: topo)
                switch part.spread {
                case .everyRank:
                    if multiNode, let node = nodeComm, let cross = crossComm {
                        bucket((true, mode), width: D) { ReplicaSync(world: comm, node: node, cross: cross, width: D, mode: mode) }
                            .addMember(store: s, rows: part.rows)
                    } else {
                        bucket((true, .allreduce), width: D) { ReplicaSync(comm: comm, width: D) }.addMember(store: s, rows: part.rows)
                    }
                case .perNode:
                    guard let cross = crossComm, cross.size > 1 else { continue }
                    bucket((false, mode), width: D) { ReplicaSync(comm: cross, width: D, mode: mode) }
                        .addMember(store: s, rows: stores[s].rows)
                case .roundRobin, .blocks:
                    preconditionFailure("table \(t): a part with one copy has nothing to sync")
                }
            }
        }
        return syncs
    }
}

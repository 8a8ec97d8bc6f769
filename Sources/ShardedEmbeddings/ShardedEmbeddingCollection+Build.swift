import Collectives
import Tensors
import Sharding

/// The parts `ShardedEmbeddingCollection.init` assembles: each table's stores
/// on this rank, which store a lookup group reads, and the replica syncs.
extension ShardedEmbeddingCollection {
    /// Every table's stores on this rank (its replica, its FlexShard tiers,
    /// or the column blocks it holds), in table order.
    static func makeStores(tables: [TableConfig], shardings: [TableSharding], rank me: Int, worldSize R: Int,
                           nodeSize L: Int, nodeLocal: Int, seed: UInt64, optimizer: EmbeddingOptimizerKind,
                           precision: RowPrecision) -> (stores: [ShardStore], tableStores: [TableStores]) {
        var stores: [ShardStore] = []
        func store(_ make: () -> ShardStore) -> Int {
            stores.append(make())
            return stores.count - 1
        }
        var tableStores: [TableStores] = []
        for (t, sharding) in shardings.enumerated() {
            let c = tables[t]
            if sharding.isReplicated {
                tableStores.append(.replica(store {
                    ShardStore(table: t, config: c, columnStart: 0, width: c.dim, map: .contiguous(first: 0), rows: c.rows,
                               seed: seed, optimizer: optimizer, precision: precision)
                }))
            } else if let tiers = sharding.tiers {
                let hot = store {
                    ShardStore(table: t, config: c, columnStart: 0, width: c.dim,
                               map: .tiered(order: tiers.order, offset: 0, peers: 1, member: 0), rows: tiers.hot,
                               seed: seed, optimizer: optimizer, tier: .hot, precision: precision)
                }
                let warm = store {
                    ShardStore(table: t, config: c, columnStart: 0, width: c.dim,
                               map: .tiered(order: tiers.order, offset: tiers.hot, peers: L, member: nodeLocal),
                               rows: FlexShardCounts.share(tiers.warm, of: L, index: nodeLocal), seed: seed, optimizer: optimizer,
                               tier: .warm, precision: precision)
                }
                let cold = store {
                    let cold = tiers.coldRowsAtStart(of: R, index: me)
                    return ShardStore(table: t, config: c, columnStart: 0, width: c.dim,
                                      map: .tiered(order: tiers.order, offset: tiers.hot + tiers.warm, peers: R, member: me),
                                      rows: cold.stored, capacityRows: cold.capacity, roomRows: cold.room, seed: seed,
                                      optimizer: optimizer, tier: .cold, precision: precision)
                }
                tableStores.append(.tiered(hot: hot, warm: warm, cold: cold))
            } else {
                var blocks: [Int: Int] = [:]
                for shard in sharding.shards {
                    guard let i = shard.ranks.firstIndex(of: me) else { continue }
                    let block = shard.blockRows(tableRows: c.rows)
                    blocks[shard.columnStart] = store {
                        ShardStore(table: t, config: c, columnStart: shard.columnStart, width: shard.width,
                                   map: .contiguous(first: i * block), rows: shard.localRows(rankIndex: i, tableRows: c.rows),
                                   seed: seed, optimizer: optimizer, precision: precision)
                    }
                }
                tableStores.append(.blocks(byColumnStart: blocks))
            }
        }
        return (stores, tableStores)
    }

    /// The store a lookup group reads on this rank (its table's shard or
    /// tier; -1: a block this rank does not hold).
    static func store(of g: LookupGroup, in tableStores: [TableStores]) -> Int {
        switch (g.placement, tableStores[g.table]) {
        case (.tier(_, let tier, _), .tiered(_, let warm, let cold)):
            return tier == RowTiers.Tier.warm.rawValue ? warm : cold
        case (.block, .blocks(let byColumnStart)):
            return byColumnStart[g.columnStart] ?? -1
        default:
            preconditionFailure("table \(g.table): its lookup group and its stores disagree on the plan")
        }
    }

    /// FlexShard's replica syncs: hot rows over the world (or node then
    /// cross-node), warm rows over the cross-node group.
    static func makeSyncs(tables: [TableConfig], shardings: [TableSharding], tableStores: [TableStores],
                          stores: [ShardStore], comm: Communicator, node nodeComm: Communicator?,
                          cross crossComm: Communicator?) -> [ReplicaSync] {
        let topo = comm.topology
        let multiNode = topo.nodeCount > 1
        // One bucket per (tier, cross-node exchange): every table's rows of
        // it synced by one exchange a step. Buckets and members go in table
        // order, the same on every rank.
        var syncs: [ReplicaSync] = []
        func bucket(_ key: (hot: Bool, mode: RowTiers.CrossNodeSync), width: Int, make: () -> ReplicaSync) -> ReplicaSync {
            if let b = syncs.first(where: { $0.isHotBucket == key.hot && $0.mode == key.mode && $0.width == width }) { return b }
            let b = make()
            b.isHotBucket = key.hot
            syncs.append(b)
            return b
        }
        for (t, sharding) in shardings.enumerated() {
            guard let tiers = sharding.tiers, case let .tiered(hot, warm, _) = tableStores[t] else { continue }
            let D = tables[t].dim
            if tiers.hot > 0 {
                if multiNode, let node = nodeComm, let cross = crossComm {
                    let mode = RowTiers.hotSync(tiers, on: topo)
                    bucket((true, mode), width: D) { ReplicaSync(world: comm, node: node, cross: cross, width: D, mode: mode) }
                        .addMember(store: hot, rows: tiers.hot)
                } else {
                    bucket((true, .allreduce), width: D) { ReplicaSync(comm: comm, width: D) }.addMember(store: hot, rows: tiers.hot)
                }
            }
            if tiers.warm > 0, let cross = crossComm, cross.size > 1 {
                let mode = tiers.warmSync ?? .allreduce
                bucket((false, mode), width: D) { ReplicaSync(comm: cross, width: D, mode: mode) }
                    .addMember(store: warm, rows: stores[warm].rows)
            }
        }
        return syncs
    }
}

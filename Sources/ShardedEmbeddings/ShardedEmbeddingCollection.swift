import Collectives
import Model
import Sharding

/// Embedding tables sharded over the ranks of a communicator, with TorchRec's
/// three stages and their backwards side by side:
///
///     forward:   inputDist (counts, then ids: MPI_Alltoall + MPI_Alltoallv)
///                lookup    (owners gather rows; pooled features pool per bag)
///                startOutputDist / finishOutputDist (rows back, non-blocking)
///     backward:  the output dist mirrored (same counts, swapped), owners sum
///                the gradients of each touched row and apply the optimizer.
///
/// Row-wise pooled tables return one partial sum per (bag, owner), which the
/// requester adds up. Data-parallel tables are looked up locally and their
/// gradients all-reduced. Every exchange is tagged in the ledger.
public final class ShardedEmbeddingCollection {
    public let tables: [TableConfig]
    public let features: [EmbeddingFeature]
    public let plan: ShardingPlan
    public let optimizer: EmbeddingOptimizerKind
    let comm: Communicator
    let groups: [LookupGroup]
    let router: EmbeddingRouter
    /// Groups this rank holds, in group order (the order of every message it receives).
    let heldGroups: [Int]
    /// Store of each held group, by group index.
    var storeOfGroup: [Int: Int] = [:]
    let stores: [ShardStore]
    /// Data-parallel tables: a full copy here, by table index.
    let replicas: [Int: ShardStore]
    let replicaGrads: [Int: ScratchBuffer<Float>]

    // Per-step buffers, reused.
    let sendWords = ScratchBuffer<Int32>(zero: 0)
    let recvWords = ScratchBuffer<Int32>(zero: 0)
    let rowsOut = ScratchBuffer<Float>(zero: 0)    // owner -> requesters
    let rowsIn = ScratchBuffer<Float>(zero: 0)     // back at the requester
    let gradsOut = ScratchBuffer<Float>(zero: 0)   // requester -> owners
    let gradsIn = ScratchBuffer<Float>(zero: 0)    // at the owner
    let assembly = ScratchBuffer<Float>(zero: 0)   // outputs of every feature
    let gradScratch = ScratchBuffer<Float>(zero: 0)
    let idsLayout: AlltoallvLayout
    let rowsLayout: AlltoallvLayout
    let gradsLayout: AlltoallvLayout
    let outputRequest = CommRequest()
    var counts: [Int64]
    var recvCounts: [Int64]
    var pendingRows: [ScratchBuffer<Int32>]
    var pendingGrads: [ScratchBuffer<Float>]
    /// Feature k's first float in `assembly`, and its float count.
    public internal(set) var featureBase: [Int]
    public internal(set) var featureFloats: [Int]
    var current: [FeatureIds] = []

    public init(tables: [TableConfig], features: [EmbeddingFeature], plan: ShardingPlan,
                optimizer: EmbeddingOptimizerKind, seed: UInt64, comm: Communicator) throws {
        try plan.validate(tables: tables, worldSize: comm.size)
        for f in features where f.table < 0 || f.table >= tables.count {
            throw PlanError("feature '\(f.name)' reads table \(f.table), which does not exist")
        }
        self.tables = tables; self.features = features; self.plan = plan
        self.optimizer = optimizer; self.comm = comm
        let shardings = tables.map { plan.sharding(of: $0.name)! }
        var groups: [LookupGroup] = []
        for (k, f) in features.enumerated() {
            let t = shardings[f.table]
            guard !t.isReplicated else { continue }
            for (s, shard) in t.shards.enumerated() {
                groups.append(LookupGroup(feature: k, shard: s, table: f.table, columnStart: shard.columnStart,
                                          width: shard.width, ranks: shard.ranks,
                                          blockRows: shard.blockRows(tableRows: tables[f.table].rows),
                                          isSequence: f.isSequence))
            }
        }
        self.groups = groups
        router = EmbeddingRouter(groups: groups, worldSize: comm.size)
        let me = comm.rank
        heldGroups = groups.indices.filter { groups[$0].ranks.contains(me) }

        // One store per (table, shard) held here; features sharing a table share it.
        var stores: [ShardStore] = []
        var storeIndex: [String: Int] = [:]
        var storeOfGroup: [Int: Int] = [:]
        for gi in heldGroups {
            let g = groups[gi]
            let key = "\(g.table)/\(g.shard)"
            if let s = storeIndex[key] { storeOfGroup[gi] = s; continue }
            let i = g.ranks.firstIndex(of: me)!
            let shard = shardings[g.table].shards[g.shard]
            stores.append(ShardStore(table: g.table, shard: g.shard, config: tables[g.table], columnStart: g.columnStart,
                                     width: g.width, firstRow: i * g.blockRows,
                                     rows: shard.localRows(rankIndex: i, tableRows: tables[g.table].rows),
                                     seed: seed, optimizer: optimizer, maxIdsPerStep: 1024))
            storeIndex[key] = stores.count - 1
            storeOfGroup[gi] = stores.count - 1
        }
        // Tables nobody reads still get their shards, so memory and checkpoints are whole.
        for (t, sharding) in shardings.enumerated() where !sharding.isReplicated {
            for (s, shard) in sharding.shards.enumerated() where storeIndex["\(t)/\(s)"] == nil {
                guard let i = shard.ranks.firstIndex(of: me) else { continue }
                let block = shard.blockRows(tableRows: tables[t].rows)
                stores.append(ShardStore(table: t, shard: s, config: tables[t], columnStart: shard.columnStart,
                                         width: shard.width, firstRow: i * block,
                                         rows: shard.localRows(rankIndex: i, tableRows: tables[t].rows),
                                         seed: seed, optimizer: optimizer, maxIdsPerStep: 1))
                storeIndex["\(t)/\(s)"] = stores.count - 1
            }
        }
        self.stores = stores
        self.storeOfGroup = storeOfGroup
        var replicas: [Int: ShardStore] = [:]
        var replicaGrads: [Int: ScratchBuffer<Float>] = [:]
        for (t, sharding) in shardings.enumerated() where sharding.isReplicated {
            replicas[t] = ShardStore(table: t, shard: 0, config: tables[t], columnStart: 0, width: tables[t].dim,
                                     firstRow: 0, rows: tables[t].rows, seed: seed, optimizer: optimizer,
                                     maxIdsPerStep: tables[t].rows)
            replicaGrads[t] = ScratchBuffer(capacity: tables[t].rows * tables[t].dim, zero: 0)
        }
        self.replicas = replicas
        self.replicaGrads = replicaGrads
        idsLayout = AlltoallvLayout(peers: comm.size)
        rowsLayout = AlltoallvLayout(peers: comm.size)
        gradsLayout = AlltoallvLayout(peers: comm.size)
        counts = [Int64](repeating: 0, count: comm.size)
        recvCounts = counts
        pendingRows = stores.map { _ in ScratchBuffer(zero: 0) }
        pendingGrads = stores.map { _ in ScratchBuffer(zero: 0) }
        featureBase = [Int](repeating: 0, count: features.count)
        featureFloats = featureBase
    }

    /// Bytes of embedding rows and optimizer state this rank holds.
    public var memoryBytes: Int { stores.reduce(0) { $0 + $1.bytes } + replicas.values.reduce(0) { $0 + $1.bytes } }

    func dim(_ k: Int) -> Int { tables[features[k].table].dim }

    /// Feature k's looked-up output in the assembly: pooled [bags x D] or
    /// sequence [ids x D]. Valid after `finishOutputDist` until the next step.
    public func output(_ k: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: assembly.pointer + featureBase[k], count: featureFloats[k])
    }
}

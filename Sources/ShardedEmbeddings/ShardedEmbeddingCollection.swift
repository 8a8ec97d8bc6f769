import Collectives
import Model
import Sharding
import Tensors

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
/// gradients all-reduced. FlexShard tables are split per row: hot rows are
/// replicated (looked up locally, touched gradients all-reduced), warm rows
/// live once per node (exchanged on the node's communicator, their gradients
/// summed across the nodes' copies), cold rows once in the world. Every
/// exchange is tagged in the ledger.
public final class ShardedEmbeddingCollection {
    public let tables: [TableConfig]
    public let features: [EmbeddingFeature]
    public let plan: ShardingPlan
    public let optimizer: EmbeddingOptimizerKind
    public let seed: UInt64
    /// How rows are stored (`embedding.precision`) and the row/gradient
    /// payloads' formats (`comm.precision`); fp32 everywhere by default.
    public let precision: RowPrecision
    public let payload: PayloadPrecision
    let comm: Communicator
    let stores: [ShardStore]
    let lanes: [ExchangeLane]
    let localGroups: [LocalGroup]
    /// Data-parallel tables: the store and a full-table gradient, by table.
    let replicaTables: [(table: Int, store: Int, grads: ScratchBuffer<Float>)]
    /// Replicated row sets whose touched gradients are summed across copies.
    let syncs: [ReplicaSync]
    /// Per store: the bucket that syncs it and its first row there (nil: none).
    let syncSlots: [(sync: ReplicaSync, offset: Int)?]
    /// Per store: whether a ReplicaSync applies its updates (not the owner path).
    let storeIsSynced: [Bool]
    /// Stores whose gradients SGD applies as they arrive (no pending lists):
    /// every SGD store whose rows no replica sync needs to see.
    let sgdInPlace: [Bool]

    let assembly = ScratchBuffer<Float>(zero: 0)
    let gradAssembly = ScratchBuffer<Float>(zero: 0)
    let pendingRows: [ScratchBuffer<Int32>]
    let pendingGrads: [ScratchBuffer<Float>]
    /// Feature k's first float in `assembly`, and its float count.
    public internal(set) var featureBase: [Int]
    public internal(set) var featureFloats: [Int]
    public internal(set) var current: [FeatureIds] = []
    /// Each feature's row width and each table's rows, for the routers.
    let featureDims: [Int]
    let tableRows: [Int]
    var training = true

    /// A lookup served from this rank's own copy: a part of the feature's
    /// table that every rank holds (a data_parallel table, FlexShard's hot rows).
    struct LocalGroup {
        var feature: Int
        var store: Int
        /// The part's rows (the ids of other parts are not this group's).
        var rows: RowPlacement.Locator
    }

    /// `plan` comes from `ShardingPlanner.plan`, which has checked it
    /// against `tables` and the world. `dedupIds` (`sharding.dedup_ids`,
    /// the same on every rank): each distinct id crosses once per step (IdDedup).
    public init(tables: [TableConfig], features: [EmbeddingFeature], plan: ShardingPlan,
                optimizer: EmbeddingOptimizerKind, seed: UInt64, comm: Communicator, dedupIds: Bool = false,
                precision: RowPrecision = .fp32, payload: PayloadPrecision = .fp32) throws {
        self.precision = precision; self.payload = payload
        for f in features where f.table < 0 || f.table >= tables.count {
            throw PlanError("feature '\(f.name)' reads table \(f.table), which does not exist")
        }
        self.tables = tables; self.features = features; self.plan = plan
        featureDims = features.map { tables[$0.table].dim }
        tableRows = tables.map(\.rows)
        self.optimizer = optimizer; self.seed = seed; self.comm = comm
        let me = comm.rank, R = comm.size
        let topo = comm.topology
        let nodeRanks = topo.ranks(onNode: comm.node)
        let L = nodeRanks.count, nodeLocal = nodeRanks.firstIndex(of: comm.worldRank)!
        for c in tables where plan.sharding(of: c.name) == nil {
            throw PlanError("the plan has no sharding for table '\(c.name)'")
        }

        let groups = LookupGroups(plan: plan, tables: tables, features: features, worldSize: R, nodeSize: L)
        let placements = groups.placements
        // Every table's stores, read or not, so memory and checkpoints are whole.
        let (stores, tableStores) = Self.makeStores(tables: tables, placements: placements, rank: me, nodeLocal: nodeLocal,
                                                    seed: seed, optimizer: optimizer, precision: precision)
        let storeOf = { (g: LookupGroup) in Self.store(of: g, in: tableStores) }
        let worldGroups = groups.world, nodeGroups = groups.node
        let localGroups = groups.local.map { l -> LocalGroup in
            guard let s = tableStores[l.table][l.part] else { preconditionFailure("table \(l.table): a part on every rank has no store") }
            return LocalGroup(feature: l.feature, store: s, rows: placements[l.table].locator(part: l.part))
        }
        self.stores = stores
        self.localGroups = localGroups
        var lanes: [ExchangeLane] = []
        if !worldGroups.isEmpty {
            lanes.append(ExchangeLane(comm: comm, phases: .world, groups: worldGroups, dedupIds: dedupIds,
                forward: payload.forward, backward: payload.backward) { storeOf(worldGroups[$0]) })
        }
        // Plan-wide facts, so every rank makes the same collective calls.
        let parts = placements.flatMap(\.parts)
        let anyPerNode = parts.contains { if case .perNode = $0.spread { $0.rows > 0 } else { false } }
        let anyEveryRankSynced = parts.contains { if case .touchedRows = $0.sync { $0.rows > 0 && $0.spread == .everyRank } else { false } }
        let multiNode = topo.nodeCount > 1
        var nodeComm: Communicator?
        var crossComm: Communicator?
        if anyPerNode || (anyEveryRankSynced && multiNode) {
            nodeComm = comm.split(color: comm.node, key: me)
            crossComm = comm.split(color: nodeLocal, key: me)
            if !nodeGroups.isEmpty {
                lanes.append(ExchangeLane(comm: nodeComm!, phases: .node, groups: nodeGroups, dedupIds: dedupIds,
                    forward: payload.forward, backward: payload.backward) { storeOf(nodeGroups[$0]) })
            }
        }
        self.lanes = lanes
        let syncs = Self.makeSyncs(placements: placements, tableStores: tableStores, stores: stores, comm: comm,
                                   node: nodeComm, cross: crossComm)
        self.syncs = syncs
        syncSlots = stores.indices.map { s in
            syncs.lazy.compactMap { b in b.offset(ofStore: s).map { (b, $0) } }.first
        }
        let synced = syncSlots.map { $0 != nil }
        storeIsSynced = synced
        // 16-bit rows round once per step after summing (not per duplicate id).
        sgdInPlace = synced.map { optimizer == .sgd && !$0 && precision == .fp32 }
        replicaTables = placements.indices.flatMap { t in
            placements[t].parts.indices.compactMap { p -> (Int, Int, ScratchBuffer<Float>)? in
                let part = placements[t].parts[p]
                guard part.sync == .wholeTable, let s = tableStores[t][p] else { return nil }
                return (t, s, ScratchBuffer<Float>(capacity: part.rows * part.width, zero: 0))
            }
        }
        pendingRows = stores.map { _ in ScratchBuffer(zero: 0) }
        pendingGrads = stores.map { _ in ScratchBuffer(zero: 0) }
        featureBase = [Int](repeating: 0, count: features.count)
        featureFloats = featureBase
    }

    /// Bytes of embedding rows and optimizer state this rank holds now (lazy
    /// FlexShard rows count once touched).
    public var memoryBytes: Int { stores.reduce(0) { $0 + $1.bytes } }

    func dim(_ k: Int) -> Int { tables[features[k].table].dim }

    /// Feature k's looked-up output in the assembly: pooled [bags x D] or
    /// sequence [ids x D]. Valid after `finishOutputDist` until the next step.
    public func output(_ k: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: assembly.pointer + featureBase[k], count: featureFloats[k])
    }

    /// Buffer for d loss / d output(k), same shape as `output(k)`.
    public func gradient(_ k: Int) -> UnsafeMutableBufferPointer<Float> {
        gradAssembly.setCount(assembly.count)
        return UnsafeMutableBufferPointer(start: gradAssembly.pointer + featureBase[k], count: featureFloats[k])
    }
}

/// The formats of the embedding exchanges' payloads (`comm.precision`):
/// pooled rows going back to the requesters, and their gradients going to
/// the owners. Ids always travel as Int32.
public struct PayloadPrecision: Sendable, Codable, Equatable {
    public var forward: RowPrecision
    public var backward: RowPrecision
    public init(forward: RowPrecision, backward: RowPrecision) { self.forward = forward; self.backward = backward }
    public static let fp32 = PayloadPrecision(forward: .fp32, backward: .fp32)
}

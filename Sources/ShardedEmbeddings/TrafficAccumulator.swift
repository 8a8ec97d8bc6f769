import Cluster
import Collectives
import Sharding

/// The traffic predictor's state, fed one rank's ids at a time: `add` every
/// routed rank's ids of a step, then `endStep`; `traffic` is the prediction.
/// Streaming keeps one rank's batch in memory, so a world of 1,024 ranks
/// with 2048 samples each plans in bounded memory.
///
/// Exact when every node is routed (`TrafficPredictor.predict`, held to the
/// ledger by PredictorTests). Sampled (`routedNodes`, a few nodes): only
/// those nodes' ranks are routed, and the others are estimated on the
/// grounds that under weak scaling every rank's batch is drawn alike:
///   - a rank not routed sends each peer, and is sent back by it, what the
///     routed ranks (other than that peer) do on average, per phase (for the
///     node lane, per local index of the peer);
///   - a node not routed touches as many replicated rows as a routed node
///     (node k takes routed node k mod K's counts);
///   - the rows touched anywhere are, per row touched by j of the K routed
///     nodes, 1 - (1 - j/K)^N of N nodes (rows no routed node touched are
///     not counted: hot rows are touched everywhere, so this errs only on
///     rare warm rows).
public final class TrafficAccumulator {
    let tables: [TableConfig]
    let features: [EmbeddingFeature]
    public let topology: Topology
    let nodes: [[Int]]
    let L: Int
    let groups: LookupGroups
    let dims: [Int], rows: [Int]
    let denseParameters: Int
    let payload: PayloadPrecision
    let worldRouter: EmbeddingRouter, nodeRouter: EmbeddingRouter
    /// Nodes whose ranks are routed, increasing; every node when exact.
    public let routedNodes: [Int]
    /// Their ranks, in order: what `add` must be given each step.
    public let routedRanks: [Int]
    /// Position of a rank in `routedRanks`, or nil.
    let routedIndex: [Int?]
    var sampled: Bool { routedNodes.count < nodes.count }

    static let tracked: [CommPhase] = [.idsA2A, .embFwdA2A, .embBwdA2A, .idsA2AIntra, .embFwdA2AIntra, .embBwdA2AIntra,
                                       .replicaGradSync, .denseAllreduce, .metrics]
    /// The trainer's one metrics allreduce a step: the loss sum and the
    /// batch's unique user rows, two Doubles (`Trainer.trainStep`).
    public static let stepMetricsBytes = 16
    var sent: [CommPhase: [Int]], intra: [CommPhase: [Int]], inter: [CommPhase: [Int]]
    /// Collectives per rank (`countCalls`), and those whose communicator spans nodes.
    var calls: [CommPhase: [Int]], interCalls: [CommPhase: [Int]]
    /// This step's latency seconds per rank (alpha times rounds, every collective).
    var alphaSeconds: [CommPhase: [Double]] = [:]
    /// The alpha-beta model's latencies (`CommCalibration`).
    let calibration: CommCalibration
    var seconds = 0.0, steps = 0
    /// Bytes by link class when the step began (its seconds are the difference).
    var stepStart: (intra: [CommPhase: [Int]], inter: [CommPhase: [Int]]) = ([:], [:])
    /// This step's bytes of each routed rank (row) with each world peer or
    /// node-local peer (column), for the estimate of the ranks not routed:
    /// ids and gradients it sends, rows it is sent.
    var worldPairs: [CommPhase: [Int]] = [:], nodePairs: [CommPhase: [Int]] = [:]
    /// This step's indices touched on each routed node, per part synced by
    /// its touched rows (`RowPlacement.Sync.touchedRows`).
    var touched: [PartKey: [Set<Int>]] = [:]
    /// Those parts, and their row locators (what `add` asks per id).
    let syncedParts: [(key: PartKey, rows: RowPlacement.Locator)]

    /// A part of a table's placement.
    struct PartKey: Hashable { var table: Int, part: Int }

    public init(plan: ShardingPlan, tables: [TableConfig], features: [EmbeddingFeature], topology: Topology,
                denseParameters: Int, dedupIds: Bool = false, payload: PayloadPrecision = .fp32, routedNodes: [Int]? = nil,
                calibration: CommCalibration = .machineDefault) {
        self.tables = tables; self.features = features; self.topology = topology; self.calibration = calibration
        self.denseParameters = denseParameters; self.payload = payload
        let R = topology.worldSize
        let nodes = (0..<topology.nodeCount).map { topology.ranks(onNode: $0) }
        self.nodes = nodes
        L = nodes.map(\.count).max() ?? 1
        groups = LookupGroups(plan: plan, tables: tables, features: features, worldSize: R, nodeSize: L)
        syncedParts = groups.placements.enumerated().flatMap { t, placement in
            placement.parts.indices.compactMap { p -> (PartKey, RowPlacement.Locator)? in
                guard case .touchedRows = placement.parts[p].sync else { return nil }
                return (PartKey(table: t, part: p), placement.locator(part: p))
            }
        }
        dims = features.map { tables[$0.table].dim }
        rows = tables.map(\.rows)
        // One router per lane, reused for every rank in turn.
        worldRouter = EmbeddingRouter(groups: groups.world, peers: R, dedupIds: dedupIds && R > 1)
        nodeRouter = EmbeddingRouter(groups: groups.node, peers: L, dedupIds: dedupIds && L > 1)
        let routed = Array(Set(routedNodes ?? Array(nodes.indices))).sorted()
        precondition(!routed.isEmpty && routed.allSatisfy { nodes.indices.contains($0) }, "routedNodes must name nodes")
        self.routedNodes = routed
        let ranks = routed.flatMap { nodes[$0] }
        routedRanks = ranks
        var index = [Int?](repeating: nil, count: R)
        for (i, r) in ranks.enumerated() { index[r] = i }
        routedIndex = index
        let zero = Dictionary(uniqueKeysWithValues: Self.tracked.map { ($0, [Int](repeating: 0, count: R)) })
        sent = zero; intra = zero; inter = zero; calls = zero; interCalls = zero
        startStep()
    }

    func startStep() {
        stepStart = (intra, inter)
        for p in Self.tracked { alphaSeconds[p] = [Double](repeating: 0, count: topology.worldSize) }
        let K = routedRanks.count
        if sampled {
            for p in [CommPhase.idsA2A, .embFwdA2A, .embBwdA2A] { worldPairs[p] = [Int](repeating: 0, count: K * topology.worldSize) }
            for p in [CommPhase.idsA2AIntra, .embFwdA2AIntra, .embBwdA2AIntra] { nodePairs[p] = [Int](repeating: 0, count: K * L) }
        }
        for (key, _) in syncedParts { touched[key] = [Set<Int>](repeating: [], count: nodes.count) }
    }

    func add(_ p: CommPhase, from a: Int, to b: Int, _ bytes: Int) {
        guard a != b, bytes > 0 else { return }
        sent[p]![a] += bytes
        if topology.sameNode(a, b) { intra[p]![a] += bytes } else { inter[p]![a] += bytes }
    }

    /// Routes rank `r`'s ids of this step (one `FeatureIds` per feature).
    public func add(rank r: Int, ids: [FeatureIds]) {
        guard let i = routedIndex[r] else { preconditionFailure("rank \(r) is not routed") }
        let R = topology.worldSize
        var base: [Int] = [], at = 0
        for (k, f) in features.enumerated() {
            base.append(at)
            at += (f.isSequence ? ids[k].values.count : ids[k].bags) * dims[k]
        }
        func record(_ lane: inout [CommPhase: [Int]], _ p: CommPhase, _ column: Int, width: Int, _ bytes: Int) {
            if sampled { lane[p]![i * width + column] = bytes }
        }
        if !groups.world.isEmpty {
            worldRouter.route(ids, base: base, dims: dims, tableRows: rows)
            for d in 0..<R {
                let idBytes = 8 + 4 * worldRouter.messageWords(to: d), floats = worldRouter.returnFloats(from: d)
                let fwd = payload.forward.bytes * floats, bwd = payload.backward.bytes * floats
                add(.idsA2A, from: r, to: d, idBytes); add(.embFwdA2A, from: d, to: r, fwd); add(.embBwdA2A, from: r, to: d, bwd)
                record(&worldPairs, .idsA2A, d, width: R, idBytes)
                record(&worldPairs, .embFwdA2A, d, width: R, fwd)
                record(&worldPairs, .embBwdA2A, d, width: R, bwd)
            }
        }
        if !groups.node.isEmpty {
            let mine = nodes[topology.nodeOfRank[r]]
            nodeRouter.route(ids, base: base, dims: dims, tableRows: rows)
            for (d, peer) in mine.enumerated() {
                let idBytes = 8 + 4 * nodeRouter.messageWords(to: d), floats = nodeRouter.returnFloats(from: d)
                let fwd = payload.forward.bytes * floats, bwd = payload.backward.bytes * floats
                add(.idsA2AIntra, from: r, to: peer, idBytes); add(.embFwdA2AIntra, from: peer, to: r, fwd)
                add(.embBwdA2AIntra, from: r, to: peer, bwd)
                record(&nodePairs, .idsA2AIntra, d, width: L, idBytes)
                record(&nodePairs, .embFwdA2AIntra, d, width: L, fwd)
                record(&nodePairs, .embBwdA2AIntra, d, width: L, bwd)
            }
        }
        let k = topology.nodeOfRank[r]
        for (key, rows) in syncedParts {
            for (f, feature) in features.enumerated() where feature.table == key.table {
                for v in ids[f].values { if let j = rows.index(ofRow: Int(v)) { touched[key]![k].insert(j) } }
            }
        }
    }

    /// Closes the step: the ranks not routed, the replica syncs, the dense
    /// allreduce, and the step's modelled seconds.
    public func endStep() {
        if sampled { estimateUnrouted() }
        replicaSyncs()
        ring(.denseAllreduce, Array(0..<topology.worldSize), payload: denseParameters * 4)
        ring(.metrics, Array(0..<topology.worldSize), payload: Self.stepMetricsBytes)
        countCalls()
        for p in Self.tracked {
            let t = (0..<topology.worldSize).map { r in
                alphaSeconds[p]![r] + Double(intra[p]![r] - stepStart.intra[p]![r]) / topology.intraNodeBandwidth
                    + Double(inter[p]![r] - stepStart.inter[p]![r]) / topology.interNodeBandwidth
            }
            seconds += t.max() ?? 0
        }
        steps += 1
        startStep()
    }

    /// The routed ranks' mean bytes with each peer stand for every rank not routed.
    func estimateUnrouted() {
        let R = topology.worldSize, K = routedRanks.count
        func means(_ pairs: [Int], width: Int, own column: (Int) -> Int) -> [Int] {
            (0..<width).map { d in
                var sum = 0, n = 0
                for i in 0..<K where column(routedRanks[i]) != d { sum += pairs[i * width + d]; n += 1 }
                return n == 0 ? 0 : Int((Double(sum) / Double(n)).rounded())
            }
        }
        let unrouted = (0..<R).filter { routedIndex[$0] == nil }
        if !groups.world.isEmpty {
            let ids = means(worldPairs[.idsA2A]!, width: R) { $0 }, fwd = means(worldPairs[.embFwdA2A]!, width: R) { $0 }
            let bwd = means(worldPairs[.embBwdA2A]!, width: R) { $0 }
            for r in unrouted {
                for d in 0..<R {
                    add(.idsA2A, from: r, to: d, ids[d]); add(.embFwdA2A, from: d, to: r, fwd[d]); add(.embBwdA2A, from: r, to: d, bwd[d])
                }
            }
        }
        if !groups.node.isEmpty {
            let local = { (r: Int) in self.nodes[self.topology.nodeOfRank[r]].firstIndex(of: r)! }
            let ids = means(nodePairs[.idsA2AIntra]!, width: L, own: local)
            let fwd = means(nodePairs[.embFwdA2AIntra]!, width: L, own: local)
            let bwd = means(nodePairs[.embBwdA2AIntra]!, width: L, own: local)
            for r in unrouted {
                for (d, peer) in nodes[topology.nodeOfRank[r]].enumerated() {
                    add(.idsA2AIntra, from: r, to: peer, ids[d]); add(.embFwdA2AIntra, from: peer, to: r, fwd[d])
                    add(.embBwdA2AIntra, from: r, to: peer, bwd[d])
                }
            }
        }
    }

    func ring(_ p: CommPhase, _ members: [Int], payload: Int) {
        guard members.count > 1 else { return }
        let b = ringAllreduceBytes(payload: payload, ranks: members.count)
        for (i, m) in members.enumerated() { add(p, from: m, to: members[(i + 1) % members.count], b) }
    }

    /// `ReplicaSync.gatherLists`: `counts` Int32, then ids and gradient rows, to every other member.
    func gather(_ p: CommPhase, from a: Int, to members: [Int], rows: Int, width: Int, counts: Int) {
        for b in members { add(p, from: a, to: b, 4 * counts + 4 * rows + 4 * rows * width) }
    }

    /// The prediction over the steps closed so far.
    public var traffic: PredictedTraffic {
        PredictedTraffic(steps: steps,
                         phases: Self.tracked.map { .init(phase: $0.tag, bytesSent: sent[$0]!, intraNodeBytes: intra[$0]!,
                                                          interNodeBytes: inter[$0]!, calls: calls[$0]!) },
                         modelledSecondsPerStep: seconds / Double(max(steps, 1)))
    }
}

import Cluster
import Collectives
import Sharding
import Tensors

/// Bytes a plan will move, computed without communicating: every rank's
/// ids are routed by the same `EmbeddingRouter` the exchanges use, the
/// replica syncs are counted from the union of touched rows, and allreduces
/// as the ledger counts them (a ring). Held against the ledger in tests, so
/// `strata plan`'s figures are the ones a run will measure.
public struct PredictedTraffic: Sendable, Codable, Equatable {
    public struct Phase: Sendable, Codable, Equatable {
        public var phase: String
        /// Per rank, summed over the predicted steps: bytes sent to other ranks, and by link class.
        public var bytesSent: [Int]
        public var intraNodeBytes: [Int]
        public var interNodeBytes: [Int]
    }

    public var steps: Int
    public var phases: [Phase]
    /// Per step: the busiest rank's intra bytes over the intra-node bandwidth
    /// plus inter bytes over the inter-node bandwidth, summed over phases.
    public var modelledSecondsPerStep: Double

    public func phase(_ p: CommPhase) -> Phase? { phases.first { $0.phase == p.tag } }

    /// All-to-all bytes (both lanes) per step, summed over ranks.
    public var allToAllBytesPerStep: Double {
        let a2a = Set(CommPhase.allCases.filter(\.isAllToAll).map(\.tag))
        return Double(phases.filter { a2a.contains($0.phase) }.reduce(0) { $0 + $1.bytesSent.reduce(0, +) }) / Double(max(steps, 1))
    }

    /// Bytes on inter-node links per step (every phase), summed over ranks.
    public var interNodeBytesPerStep: Double {
        Double(phases.reduce(0) { $0 + $1.interNodeBytes.reduce(0, +) }) / Double(max(steps, 1))
    }

    /// Embedding traffic per step (all-to-alls of both lanes and replica
    /// syncs; the dense allreduce, the same for every plan, left out), summed over ranks.
    public var embeddingBytesPerStep: Double {
        let keep = Set(CommPhase.allCases.filter { $0.isAllToAll || $0 == .replicaGradSync }.map(\.tag))
        return Double(phases.filter { keep.contains($0.phase) }.reduce(0) { $0 + $1.bytesSent.reduce(0, +) }) / Double(max(steps, 1))
    }

    /// The part of `embeddingBytesPerStep` on inter-node links.
    public var embeddingInterNodeBytesPerStep: Double {
        let keep = Set(CommPhase.allCases.filter { $0.isAllToAll || $0 == .replicaGradSync }.map(\.tag))
        return Double(phases.filter { keep.contains($0.phase) }.reduce(0) { $0 + $1.interNodeBytes.reduce(0, +) }) / Double(max(steps, 1))
    }

    /// Every byte sent to other ranks per step (every phase), summed over ranks.
    public var totalBytesPerStep: Double {
        Double(phases.reduce(0) { $0 + $1.bytesSent.reduce(0, +) }) / Double(max(steps, 1))
    }
}

public enum TrafficPredictor {
    /// `steps[s][r]` is rank r's ids (one entry per feature) in step s.
    /// `dedupIds`: as the collection's (each distinct id once per destination).
    public static func predict(plan: ShardingPlan, tables: [TableConfig], features: [EmbeddingFeature], topology: Topology,
                               steps: [[[FeatureIds]]], denseParameters: Int, dedupIds: Bool = false,
                               payload: PayloadPrecision = .fp32) -> PredictedTraffic {
        let R = topology.worldSize
        let nodes = (0..<topology.nodeCount).map { topology.ranks(onNode: $0) }
        let L = nodes.map(\.count).max() ?? 1
        let groups = LookupGroups(plan: plan, tables: tables, features: features, worldSize: R, nodeSize: L)
        let tracked: [CommPhase] = [.idsA2A, .embFwdA2A, .embBwdA2A, .idsA2AIntra, .embFwdA2AIntra, .embBwdA2AIntra,
                                    .replicaGradSync, .denseAllreduce]
        var sent = Dictionary(uniqueKeysWithValues: tracked.map { ($0, [Int](repeating: 0, count: R)) })
        var intra = sent, inter = sent
        var seconds = 0.0
        func add(_ p: CommPhase, from a: Int, to b: Int, _ bytes: Int) {
            guard a != b, bytes > 0 else { return }
            sent[p]![a] += bytes
            if topology.sameNode(a, b) { intra[p]![a] += bytes } else { inter[p]![a] += bytes }
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
        let dims = features.map { tables[$0.table].dim }, rows = tables.map(\.rows)
        // One router per lane, reused for every rank in turn.
        let worldRouter = EmbeddingRouter(groups: groups.world, peers: R, dedupIds: dedupIds && R > 1)
        let nodeRouter = EmbeddingRouter(groups: groups.node, peers: L, dedupIds: dedupIds && L > 1)
        let shardings = tables.map { plan.sharding(of: $0.name)! }
        for step in steps {
            let before = (intra, inter)
            for r in 0..<R {
                let ids = step[r]
                var base: [Int] = [], at = 0
                for (k, f) in features.enumerated() {
                    base.append(at)
                    at += (f.isSequence ? ids[k].values.count : ids[k].bags) * dims[k]
                }
                if !groups.world.isEmpty {
                    worldRouter.route(ids, base: base, dims: dims, tableRows: rows)
                    for d in 0..<R {
                        add(.idsA2A, from: r, to: d, 8 + 4 * worldRouter.messageWords(to: d))
                        let floats = worldRouter.returnFloats(from: d)
                        add(.embFwdA2A, from: d, to: r, payload.forward.bytes * floats)
                        add(.embBwdA2A, from: r, to: d, payload.backward.bytes * floats)
                    }
                }
                if !groups.node.isEmpty {
                    let mine = nodes[topology.nodeOfRank[r]]
                    nodeRouter.route(ids, base: base, dims: dims, tableRows: rows)
                    for (d, peer) in mine.enumerated() {
                        add(.idsA2AIntra, from: r, to: peer, 8 + 4 * nodeRouter.messageWords(to: d))
                        let floats = nodeRouter.returnFloats(from: d)
                        add(.embFwdA2AIntra, from: peer, to: r, payload.forward.bytes * floats)
                        add(.embBwdA2AIntra, from: r, to: peer, payload.backward.bytes * floats)
                    }
                }
            }
            // Replica syncs: a mask of the copy's rows, then the touched rows' gradients.
            for (t, s) in shardings.enumerated() {
                let D = tables[t].dim
                if s.isReplicated { ring(.denseAllreduce, Array(0..<R), payload: tables[t].rows * D * 4) }
                guard let tiers = s.tiers, let codes = groups.codes[t] else { continue }
                // Rows touched per node (hot index, warm index); their unions.
                var touchedHot = [Set<Int>](repeating: [], count: nodes.count), touchedWarm = touchedHot
                for r in 0..<R {
                    let k = topology.nodeOfRank[r]
                    for (f, feature) in features.enumerated() where feature.table == t {
                        for v in step[r][f].values {
                            let code = codes.codes[Int(v)]
                            if RowTiers.tier(code) == RowTiers.Tier.hot.rawValue { touchedHot[k].insert(RowTiers.index(code)) }
                            if RowTiers.tier(code) == RowTiers.Tier.warm.rawValue { touchedWarm[k].insert(RowTiers.index(code)) }
                        }
                    }
                }
                let anyHot = touchedHot.reduce(into: Set<Int>()) { $0.formUnion($1) }
                let anyWarm = touchedWarm.reduce(into: Set<Int>()) { $0.formUnion($1) }
                let cross = (0..<L).map { m in nodes.compactMap { $0.count > m ? $0[m] : nil } }
                if tiers.hot > 0, RowTiers.hotSync(tiers, on: topology) == .gather {
                    // Node mask and node sums of the node's rows; member m's slice
                    // to member m of every node (counts, ids, gradients); what it
                    // received shared inside the node (counts per node, ids, gradients).
                    let T = touchedHot.map(\.count)
                    for (k, n) in nodes.enumerated() {
                        ring(.replicaGradSync, n, payload: tiers.hot)
                        ring(.replicaGradSync, n, payload: T[k] * D * 4)
                    }
                    func slice(_ k: Int, _ m: Int) -> Int {
                        ReplicaSync.sliceStart(T[k], nodes[k].count, m + 1) - ReplicaSync.sliceStart(T[k], nodes[k].count, m)
                    }
                    for (k, n) in nodes.enumerated() {
                        for (m, a) in n.enumerated() {
                            gather(.replicaGradSync, from: a, to: cross[m], rows: slice(k, m), width: D, counts: 1)
                            let received = nodes.indices.filter { $0 != k }.reduce(0) { $0 + slice($1, m) }
                            gather(.replicaGradSync, from: a, to: n, rows: received, width: D, counts: nodes.count - 1)
                        }
                    }
                } else if tiers.hot > 0, nodes.count > 1 {
                    // Hierarchical: mask over the node then across; gradients summed
                    // in the node, each member's slice across nodes, slices gathered.
                    let T = anyHot.count
                    for n in nodes { ring(.replicaGradSync, n, payload: tiers.hot) }
                    for m in 0..<L { ring(.replicaGradSync, cross[m], payload: tiers.hot) }
                    for n in nodes { ring(.replicaGradSync, n, payload: T * D * 4) }
                    for m in 0..<L {
                        let rowsM = ReplicaSync.sliceStart(T, L, m + 1) - ReplicaSync.sliceStart(T, L, m)
                        ring(.replicaGradSync, cross[m], payload: rowsM * D * 4)
                    }
                    for n in nodes {
                        for (i, a) in n.enumerated() {
                            let rowsI = ReplicaSync.sliceStart(T, n.count, i + 1) - ReplicaSync.sliceStart(T, n.count, i)
                            for b in n where b != a { add(.replicaGradSync, from: a, to: b, rowsI * D * 4) }
                        }
                    }
                } else if tiers.hot > 0 {
                    ring(.replicaGradSync, Array(0..<R), payload: tiers.hot)
                    ring(.replicaGradSync, Array(0..<R), payload: anyHot.count * D * 4)
                }
                if tiers.warm > 0, nodes.count > 1 {
                    for m in 0..<L {
                        if tiers.warmSync == .gather {
                            for (k, n) in nodes.enumerated() where n.count > m {
                                gather(.replicaGradSync, from: n[m], to: cross[m], rows: touchedWarm[k].filter { $0 % L == m }.count,
                                       width: D, counts: 1)
                            }
                        } else {
                            ring(.replicaGradSync, cross[m], payload: FlexShardCounts.share(tiers.warm, of: L, index: m))
                            ring(.replicaGradSync, cross[m], payload: anyWarm.filter { $0 % L == m }.count * D * 4)
                        }
                    }
                }
            }
            ring(.denseAllreduce, Array(0..<R), payload: denseParameters * 4)
            for p in tracked {
                let t = (0..<R).map { r in
                    Double(intra[p]![r] - before.0[p]![r]) / topology.intraNodeBandwidth
                        + Double(inter[p]![r] - before.1[p]![r]) / topology.interNodeBandwidth
                }
                seconds += t.max() ?? 0
            }
        }
        return PredictedTraffic(steps: steps.count,
                                phases: tracked.map { .init(phase: $0.tag, bytesSent: sent[$0]!, intraNodeBytes: intra[$0]!,
                                                            interNodeBytes: inter[$0]!) },
                                modelledSecondsPerStep: seconds / Double(max(steps.count, 1)))
    }
}

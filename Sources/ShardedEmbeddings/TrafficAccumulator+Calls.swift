import Cluster
import Collectives
import Sharding

/// The collectives a training step makes, per rank and phase, as the ledger
/// counts them (one call per blocking collective, one per wait of a started
/// one): they follow from the plan and the world alone, not from the ids.
/// Each pays its link class's latency (inter-node when its communicator
/// spans nodes) once per round: the alpha of the alpha-beta model.
extension TrafficAccumulator {
    /// Counts one step's collectives into `calls` (and `interCalls`, those
    /// whose communicator spans nodes).
    func countCalls() {
        let R = topology.worldSize
        func call(_ p: CommPhase, _ ranks: [Int], _ n: Int = 1) {
            let spans = Set(ranks.map { topology.nodeOfRank[$0] }).count > 1
            let alpha = Double(n * CommCalibration.rounds(ranks.count))
                * (spans ? calibration.interNodeLatency : calibration.intraNodeLatency)
            for r in ranks {
                calls[p]![r] += n
                alphaSeconds[p]![r] += alpha
                if spans { interCalls[p]![r] += n }
            }
        }
        let world = Array(0..<R)
        // Exchange lanes: counts, ids, rows back (a wait), gradients; none on a lane of one rank.
        if !groups.world.isEmpty, R > 1 {
            call(.idsA2A, world, 2); call(.embFwdA2A, world); call(.embBwdA2A, world)
        }
        if !groups.node.isEmpty {
            for n in nodes where n.count > 1 { call(.idsA2AIntra, n, 2); call(.embFwdA2AIntra, n); call(.embBwdA2AIntra, n) }
        }
        // Dense gradients (a wait, several ranks only), each data_parallel table's allreduce, the metrics.
        if R > 1 { call(.denseAllreduce, world) }
        for p in groups.placements.flatMap(\.parts) where p.sync == .wholeTable { call(.denseAllreduce, world) }
        call(.metrics, world)
        // Replica sync buckets, as `replicaSyncs` lists them.
        let cross = (0..<L).map { m in nodes.compactMap { $0.count > m ? $0[m] : nil } }
        for b in replicaBuckets().hot {
            let c = ReplicaSyncCost.hotCollectives(b.mode, nodes: nodes.count)
            if c.world > 0 { call(.replicaGradSync, world, c.world) }
            if c.node > 0 { for n in nodes { call(.replicaGradSync, n, c.node) } }
            if c.cross > 0 { for x in cross { call(.replicaGradSync, x, c.cross) } }
        }
        for b in replicaBuckets().warm {
            for x in cross where x.count > 1 { call(.replicaGradSync, x, ReplicaSyncCost.warmCollectives(b.mode).cross) }
        }
    }
}

import Cluster
import Collectives
import ShardedEmbeddings
import Sharding

/// What no placement of the profiled rows beats (`FlexShardPlanner.interNodeFloor`
/// summed over the tables), for `strata plan`'s text and JSON: embedding
/// bytes between nodes per step, and the modelled time, which takes at least
/// the mean rank's share of those bytes over the slow link plus the dense
/// allreduce (the same for every plan). Counts every read as the exchange
/// without id dedup does.
struct PlanFloor {
    /// Inter-node embedding bytes per step with one copy of every row, and at the least.
    var oneCopyBytes: Double, interNodeBytes: Double
    /// The dense allreduce's modelled seconds per step, and the least modelled seconds.
    var denseSeconds: Double, seconds: Double

    /// nil on one node (nothing crosses nodes).
    init?(profile: AccessProfile, tables: [TableConfig], topology: Topology, dense: PredictedTraffic.Phase?, steps: Int) {
        guard topology.nodeCount > 1 else { return nil }
        oneCopyBytes = 0; interNodeBytes = 0
        for (t, table) in tables.enumerated() {
            let b = FlexShardPlanner.interNodeFloor(counts: profile.counts[t], steps: profile.steps,
                                                    sampledFraction: profile.sampledFraction, table: table, topology: topology)
            oneCopyBytes += b.oneCopy; interNodeBytes += b.floor
        }
        denseSeconds = 0
        if let p = dense {
            for r in 0..<topology.worldSize {
                let intra = Double(p.intraNodeBytes[r]) / topology.intraNodeBandwidth
                let inter = Double(p.interNodeBytes[r]) / topology.interNodeBandwidth
                denseSeconds = max(denseSeconds, (intra + inter) / Double(steps))
            }
        }
        seconds = interNodeBytes / Double(topology.worldSize) / topology.interNodeBandwidth + denseSeconds
    }
}

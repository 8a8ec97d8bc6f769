import Cluster
import Collectives
import Foundation
import Sharding

/// The replica syncs' bytes of a step, as `ReplicaSync` sends them: from how
/// many hot and warm rows each node touched and how many were touched anywhere.
extension TrafficAccumulator {
    /// Rows of `sets` (one per routed node) per slice `index % slices`: per
    /// node (every node; one not routed takes routed node k mod K's), and
    /// touched anywhere (exact when every node is routed, else estimated).
    func touchedCounts(_ sets: [Set<Int>], slices: Int) -> (perNode: [[Int]], anywhere: [Int]) {
        func sliced(_ s: Set<Int>) -> [Int] {
            var c = [Int](repeating: 0, count: slices)
            for x in s { c[x % slices] += 1 }
            return c
        }
        let routed = routedNodes.map { sliced(sets[$0]) }
        let perNode = nodes.indices.map { k in routedNodes.firstIndex(of: k).map { routed[$0] } ?? routed[k % routed.count] }
        guard sampled else {
            return (perNode, sliced(routedNodes.reduce(into: Set<Int>()) { $0.formUnion(sets[$1]) }))
        }
        var seenBy: [Int: Int] = [:]
        for k in routedNodes { for x in sets[k] { seenBy[x, default: 0] += 1 } }
        var anywhere = [Double](repeating: 0, count: slices)
        let K = Double(routedNodes.count), N = Double(nodes.count)
        for (x, j) in seenBy { anywhere[x % slices] += 1 - pow(1 - Double(j) / K, N) }
        return (perNode, anywhere.map { Int($0.rounded()) })
    }

    func replicaSyncs(table t: Int) {
        let s = shardings[t], D = tables[t].dim, R = topology.worldSize
        if s.isReplicated { ring(.denseAllreduce, Array(0..<R), payload: tables[t].rows * D * 4) }
        guard let tiers = s.tiers, let hotSets = touchedHot[t], let warmSets = touchedWarm[t] else { return }
        let hot = touchedCounts(hotSets, slices: 1), warm = touchedCounts(warmSets, slices: L)
        let cross = (0..<L).map { m in nodes.compactMap { $0.count > m ? $0[m] : nil } }
        if tiers.hot > 0, RowTiers.hotSync(tiers, on: topology) == .gather {
            // Node mask and node sums of the node's rows; member m's slice
            // to member m of every node (counts, ids, gradients); what it
            // received shared inside the node (counts per node, ids, gradients).
            let T = hot.perNode.map { $0[0] }
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
            let T = hot.anywhere[0]
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
            ring(.replicaGradSync, Array(0..<R), payload: hot.anywhere[0] * D * 4)
        }
        if tiers.warm > 0, nodes.count > 1 {
            for m in 0..<L {
                if tiers.warmSync == .gather {
                    for (k, n) in nodes.enumerated() where n.count > m {
                        gather(.replicaGradSync, from: n[m], to: cross[m], rows: warm.perNode[k][m], width: D, counts: 1)
                    }
                } else {
                    ring(.replicaGradSync, cross[m], payload: FlexShardCounts.share(tiers.warm, of: L, index: m))
                    ring(.replicaGradSync, cross[m], payload: warm.anywhere[m] * D * 4)
                }
            }
        }
    }
}

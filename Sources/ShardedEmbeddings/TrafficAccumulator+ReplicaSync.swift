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

    /// The step's replica syncs, bucketed as `ShardedEmbeddingCollection`
    /// buckets them: per (spread, cross-node exchange, width), every table's
    /// rows in one exchange; and each whole-table (data_parallel) allreduce.
    func replicaSyncs() {
        let R = topology.worldSize
        for p in groups.placements.flatMap(\.parts) where p.sync == .wholeTable {
            ring(.denseAllreduce, Array(0..<R), payload: p.rows * p.width * 4)
        }
        let (hotBuckets, warmBuckets) = replicaBuckets()
        for b in hotBuckets { hotSync(b.parts, mode: b.mode, width: b.width) }
        for b in warmBuckets { warmSync(b.parts, mode: b.mode, width: b.width) }
    }

    typealias Bucket = (mode: RowTiers.CrossNodeSync, width: Int, parts: [PartKey])

    /// The collection's buckets: parts on every rank and parts per node, by
    /// cross-node exchange and width, in table order.
    func replicaBuckets() -> (hot: [Bucket], warm: [Bucket]) {
        var hot: [Bucket] = [], warm: [Bucket] = []
        func put(_ key: PartKey, _ mode: RowTiers.CrossNodeSync, width D: Int, into buckets: inout [Bucket]) {
            if let i = buckets.firstIndex(where: { $0.mode == mode && $0.width == D }) { buckets[i].parts.append(key) }
            else { buckets.append((mode, D, [key])) }
        }
        for (key, _) in syncedParts {
            let placement = groups.placements[key.table], part = placement.parts[key.part]
            guard part.rows > 0 else { continue }
            let mode = placement.crossNodeSync(part: key.part, on: topology)
            switch part.spread {
            case .everyRank: put(key, mode, width: part.width, into: &hot)
            case .perNode: if nodes.count > 1 { put(key, mode, width: part.width, into: &warm) }
            case .roundRobin, .blocks: break
            }
        }
        return (hot, warm)
    }

    func part(_ key: PartKey) -> RowPlacement.Part { groups.placements[key.table].parts[key.part] }

    /// One bucket of parts on every rank (hot rows): their rows back to back.
    func hotSync(_ ts: [PartKey], mode: RowTiers.CrossNodeSync, width D: Int) {
        let R = topology.worldSize
        let H = ts.reduce(0) { $0 + part($1).rows }
        let counts = ts.map { touchedCounts(touched[$0]!, slices: 1) }
        let cross = (0..<L).map { m in nodes.compactMap { $0.count > m ? $0[m] : nil } }
        if mode == .gather {
            // Node mask and node sums of the node's rows; member m's slice
            // to member m of every node (counts, ids, gradients); what it
            // received shared inside the node (counts per node, ids, gradients).
            let T = nodes.indices.map { k in counts.reduce(0) { $0 + $1.perNode[k][0] } }
            for (k, n) in nodes.enumerated() {
                ring(.replicaGradSync, n, payload: H)
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
        } else if nodes.count > 1 {
            // Hierarchical: one mask over the world; gradients summed in the
            // node, each member's slice across nodes, slices gathered.
            let T = counts.reduce(0) { $0 + $1.anywhere[0] }
            ring(.replicaGradSync, Array(0..<R), payload: H)
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
        } else {
            ring(.replicaGradSync, Array(0..<R), payload: H)
            ring(.replicaGradSync, Array(0..<R), payload: counts.reduce(0) { $0 + $1.anywhere[0] } * D * 4)
        }
    }

    /// One bucket of parts per node (warm rows): member m's shares of `ts`, across the nodes.
    func warmSync(_ ts: [PartKey], mode: RowTiers.CrossNodeSync, width D: Int) {
        let counts = ts.map { touchedCounts(touched[$0]!, slices: L) }
        let cross = (0..<L).map { m in nodes.compactMap { $0.count > m ? $0[m] : nil } }
        for m in 0..<L {
            if mode == .gather {
                for (k, n) in nodes.enumerated() where n.count > m {
                    let rows = counts.reduce(0) { $0 + $1.perNode[k][m] }
                    gather(.replicaGradSync, from: n[m], to: cross[m], rows: rows, width: D, counts: 1)
                }
            } else {
                let rows = ts.reduce(0) { $0 + groups.placements[$1.table].share(part: $1.part, member: m).capacity }
                ring(.replicaGradSync, cross[m], payload: rows)
                ring(.replicaGradSync, cross[m], payload: counts.reduce(0) { $0 + $1.anywhere[m] } * D * 4)
            }
        }
    }
}

import Cluster
import Foundation

/// FlexShard's tier planner for one table: rows sorted by access count, cut
/// into hot (replicated), warm (one copy per node) and cold (one copy in the
/// world) where the modelled communication time of a step is lowest, within
/// the memory the row_wise baseline gives this table on each rank.
///
/// The model, per step, with `c_i` the expected accesses of row i over the
/// global batch, R ranks, L per node, B_intra and B_inter the bandwidths:
///   warm: accesses * (L-1)/L cross intra-node links;
///   cold: accesses * (L-1)/R intra, * (R-L)/R inter;
///   each remote access costs an id (4 B) plus a row out and a gradient back;
///   hot:  the rows touched anywhere in the step (sum of 1 - exp(-c_i)) are
///         all-reduced: inside one node 2 (R-1)/R of their gradients; over
///         several nodes hierarchically (node sum, 1/L slice across nodes,
///         node gather);
///   warm: each node's copy syncs its touched rows with the other nodes'
///         copies: 2 (N-1)/N of their gradients, spread over the L members.
/// The time is the busiest rank's bytes per link class over that class's bandwidth.
public enum FlexShardPlanner {
    public struct Cost: Sendable, Codable, Equatable {
        public var hot: Int
        public var warm: Int
        public var seconds: Double
        public var intraBytesPerRank: Double
        public var interBytesPerRank: Double
        public var bytesPerRank: Int
    }

    /// `counts[row]` accesses over `steps` profiled global batches.
    public static func plan(counts: [Int], steps: Int, table: TableConfig, topology: Topology,
                            optimizer: EmbeddingOptimizerKind, budgetBytesPerRank: Int? = nil) -> (RowTiers, Cost) {
        let rows = table.rows
        precondition(counts.count == rows)
        let order = (0..<rows).sorted { (counts[$0], -$0) > (counts[$1], -$1) }.map(Int32.init)
        let seen = counts.lazy.filter { $0 > 0 }.count
        let R = topology.worldSize, nodes = topology.nodeCount
        let L = max(1, R / max(nodes, 1))
        let perRow = (table.dim + optimizer.stateFloats(width: table.dim)) * 4
        let budget = budgetBytesPerRank ?? (rows + R - 1) / R * perRow
        let D = Double(table.dim)
        let remoteAccessBytes = 4 + 2 * 4 * D
        // Prefix sums of expected accesses and of P(touched in a step).
        var access = [Double](repeating: 0, count: rows + 1)
        var touched = [Double](repeating: 0, count: rows + 1)
        for i in 0..<rows {
            let c = Double(counts[Int(order[i])]) / Double(max(steps, 1))
            access[i + 1] = access[i] + c
            touched[i + 1] = touched[i] + (1 - exp(-c))
        }
        func cost(hot h: Int, warm w: Int) -> Cost? {
            let seenCold = max(0, seen - h - w)
            let mine = (h + (w + L - 1) / L + (seenCold + R - 1) / R) * perRow
            guard mine <= budget else { return nil }
            let aWarm = access[h + w] - access[h], aCold = access[rows] - access[h + w]
            var intra = aWarm * Double(L - 1) / Double(L) * remoteAccessBytes / Double(R)
            intra += aCold * Double(L - 1) / Double(R) * remoteAccessBytes / Double(R)
            var inter = aCold * Double(R - L) / Double(R) * remoteAccessBytes / Double(R)
            // Hot copies sync the rows touched anywhere over every rank; warm
            // copies sync between the nodes, each member its 1/L of the tier.
            let hotPayload = touched[h] * 4 * D
            if nodes > 1 {
                // Hierarchical: node sum and gather inside, each member's 1/L slice across nodes.
                let n = Double(nodes), l = Double(L)
                intra += (3 * (l - 1) / l) * hotPayload + 2 * (l - 1) / l * Double(h)
                inter += 2 * (n - 1) / n * (hotPayload / l + Double(h))
            } else if R > 1 {
                intra += 2 * Double(R - 1) / Double(R) * (hotPayload + Double(h))
            }
            if nodes > 1, w > 0 {
                let n = Double(nodes)
                inter += 2 * (n - 1) / n * ((touched[h + w] - touched[h]) * 4 * D + Double(w)) / Double(L)
            }
            let seconds = intra / topology.intraNodeBandwidth + inter / topology.interNodeBandwidth
            return Cost(hot: h, warm: w, seconds: seconds, intraBytesPerRank: intra, interBytesPerRank: inter, bytesPerRank: mine)
        }
        // Candidate cut points: 0, then a geometric grid up to the seen rows.
        var grid: [Int] = [0]
        var x = 1.0
        while Int(x) < seen { grid.append(Int(x)); x *= 1.25 }
        grid.append(seen)
        grid = Array(Set(grid)).sorted()
        var best = cost(hot: 0, warm: 0) ?? Cost(hot: 0, warm: 0, seconds: .infinity, intraBytesPerRank: 0,
                                                  interBytesPerRank: 0, bytesPerRank: 0)
        for h in grid {
            for w in (nodes > 1 ? grid : [0]) where h + w <= rows {
                if let c = cost(hot: h, warm: w), c.seconds < best.seconds - 1e-15 { best = c }
            }
        }
        let seenCold = max(0, seen - best.hot - best.warm)
        return (RowTiers(order: order, hot: best.hot, warm: best.warm, seenCold: seenCold), best)
    }
}

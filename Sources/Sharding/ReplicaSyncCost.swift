/// What `ReplicaSync` (ShardedEmbeddings) sends in a step to keep FlexShard's
/// copies identical, in expected bytes per rank by link class: the price the
/// planner weighs against the lookups a copy saves. Each formula follows the
/// exchange step by step; ReplicaSync.swift has the protocol and a worked
/// example, and the predictor tests hold the two to the same bytes.
///
/// Inputs: `rows` of the tier (a 1-byte mask each), `touched` the expected
/// rows touched anywhere in the step, `touchedPerNode` those one node touched,
/// rows of `rowBytes`, N `nodes` of L `ranksPerNode`.
public enum ReplicaSyncCost {
    public struct Bytes: Equatable {
        public var intra: Double
        public var inter: Double
    }

    /// Hot tier on one node: a ring allreduce over R ranks of the mask, then
    /// of the touched rows' gradients.
    public static func hotOneNode(touched: Double, rows: Int, rowBytes: Double, ranks R: Int) -> Bytes {
        Bytes(intra: 2 * Double(R - 1) / Double(R) * (touched * rowBytes + Double(rows)), inter: 0)
    }

    /// Hot tier across nodes by allreduce: the mask in one ring over the
    /// world (a rank's next rank is on its node, or for the node's last rank
    /// on the next node: both link classes see the whole ring's share);
    /// inside the node the rows are summed and, at the end, gathered
    /// (3 (L-1)/L of the union); across nodes each member allreduces its 1/L
    /// slice of the rows.
    public static func hotAllreduce(touched: Double, rows: Int, rowBytes: Double, nodes: Int, ranksPerNode: Int) -> Bytes {
        let n = Double(nodes), l = Double(ranksPerNode), union = touched * rowBytes
        let mask = 2 * (n * l - 1) / (n * l) * Double(rows)
        return Bytes(intra: 3 * (l - 1) / l * union + (l > 1 ? mask : 0),
                     inter: 2 * (n - 1) / n * union / l + mask)
    }

    /// Hot tier across nodes by gather: the node's mask and sum of its rows
    /// inside the node; each member sends a count and its 1/L of the node's
    /// rows (ids and gradients) to the N-1 other nodes, and shares what came
    /// back with its node.
    public static func hotGather(touchedPerNode: Double, rows: Int, rowBytes: Double, nodes: Int,
                                 ranksPerNode: Int) -> Bytes {
        let n = Double(nodes), l = Double(ranksPerNode), mine = touchedPerNode / l
        return Bytes(intra: 2 * (l - 1) / l * (Double(rows) + touchedPerNode * rowBytes)
                         + (l - 1) * (4 * (n - 1) + (n - 1) * mine * (rowBytes + 4)),
                     inter: (n - 1) * (4 + mine * (rowBytes + 4)))
    }

    /// Warm tier across nodes by allreduce: each member allreduces its 1/L
    /// block (mask and the union's rows) with the same block on other nodes.
    public static func warmAllreduce(touched: Double, rows: Int, rowBytes: Double, nodes: Int, ranksPerNode: Int) -> Double {
        let n = Double(nodes), l = Double(ranksPerNode)
        return 2 * (n - 1) / n * (touched * rowBytes + Double(rows)) / l
    }

    /// Warm tier across nodes by gather: a count and the member's touched
    /// rows (ids and gradients) to each other node.
    public static func warmGather(touchedPerNode: Double, rowBytes: Double, nodes: Int, ranksPerNode: Int) -> Double {
        Double(nodes - 1) * (4 + touchedPerNode / Double(ranksPerNode) * (rowBytes + 4))
    }

    /// Collectives one rank makes a step for one bucket (every table's rows
    /// of a tier, one exchange and row width), by communicator: the world,
    /// its node, its cross-node slice (member m of every node). The latency
    /// a tier pays whatever its rows: `TrafficAccumulator` counts these calls,
    /// `ReplicaSync` makes them, the planner prices them (`latency`).
    public struct Collectives: Equatable, Sendable {
        public var world = 0, node = 0, cross = 0
        public var total: Int { world + node + cross }
    }

    /// Hot bucket. Gather: node mask, node sum, the node's lists (counts,
    /// ids, gradients); counts, ids, gradients across. Allreduce across
    /// nodes: the one world mask, the node sum and the node gather, the slice
    /// across. One node: mask and gradients over the world.
    public static func hotCollectives(_ mode: RowTiers.CrossNodeSync, nodes: Int) -> Collectives {
        if mode == .gather { return Collectives(node: 2 + 3, cross: 3) }
        return nodes > 1 ? Collectives(world: 1, node: 2, cross: 1) : Collectives(world: 2)
    }

    /// Warm bucket (several nodes): across nodes, counts, ids and gradients
    /// by gather; mask and gradients by allreduce.
    public static func warmCollectives(_ mode: RowTiers.CrossNodeSync) -> Collectives {
        Collectives(cross: mode == .gather ? 3 : 2)
    }

    /// The alpha of the alpha-beta model for `c`: each collective's link
    /// class latency (inter-node when its communicator spans nodes) times
    /// its rounds (`CommCalibration.rounds`), on N `nodes` of L `ranksPerNode`.
    public static func latency(_ c: Collectives, nodes: Int, ranksPerNode: Int, calibration: CommCalibration) -> Double {
        let intra = calibration.intraNodeLatency, inter = calibration.interNodeLatency
        return Double(c.world * CommCalibration.rounds(nodes * ranksPerNode)) * (nodes > 1 ? inter : intra)
            + Double(c.node * CommCalibration.rounds(ranksPerNode)) * intra
            + Double(c.cross * CommCalibration.rounds(nodes)) * inter
    }
}

/// Which node each world rank lives on, and the bandwidth of each link class.
///
/// A node is real (ranks sharing memory, found by `MPI_Comm_split_type`) or
/// emulated (`ranks_per_node: L` groups consecutive ranks), so one host can stand
/// in for a cluster. Node ids are dense, `0 ..< nodeCount`, numbered in order of
/// each node's lowest rank, so every rank agrees on them.
///
///     emulated(worldSize: 4, ranksPerNode: 2).nodeOfRank == [0, 0, 1, 1]
public struct Topology: Sendable, Equatable, Codable {
    public var nodeOfRank: [Int]
    /// Bytes per second inside a node (TorchRec's planner default: 600 GiB/s).
    public var intraNodeBandwidth: Double
    /// Bytes per second between nodes (TorchRec's planner default: 12.5 GiB/s).
    public var interNodeBandwidth: Double

    public static let defaultIntraNodeBandwidth = 600.0 * 1_073_741_824
    public static let defaultInterNodeBandwidth = 12.5 * 1_073_741_824

    public init(nodeOfRank: [Int],
                intraNodeBandwidth: Double = Topology.defaultIntraNodeBandwidth,
                interNodeBandwidth: Double = Topology.defaultInterNodeBandwidth) {
        self.nodeOfRank = Topology.densified(nodeOfRank)
        self.intraNodeBandwidth = intraNodeBandwidth
        self.interNodeBandwidth = interNodeBandwidth
    }

    /// Consecutive ranks grouped into nodes of `ranksPerNode`.
    public static func emulated(worldSize: Int, ranksPerNode: Int,
                                intraNodeBandwidth: Double = defaultIntraNodeBandwidth,
                                interNodeBandwidth: Double = defaultInterNodeBandwidth) throws -> Topology {
        guard worldSize > 0 else { throw TopologyError.badWorldSize(worldSize) }
        guard ranksPerNode > 0, worldSize % ranksPerNode == 0 else {
            throw TopologyError.ranksPerNodeDoesNotDivide(ranksPerNode: ranksPerNode, worldSize: worldSize)
        }
        return Topology(nodeOfRank: (0..<worldSize).map { $0 / ranksPerNode },
                        intraNodeBandwidth: intraNodeBandwidth, interNodeBandwidth: interNodeBandwidth)
    }

    public var worldSize: Int { nodeOfRank.count }
    public var nodeCount: Int { (nodeOfRank.max() ?? -1) + 1 }

    /// The world ranks on `node`, ascending.
    public func ranks(onNode node: Int) -> [Int] {
        nodeOfRank.indices.filter { nodeOfRank[$0] == node }
    }

    /// Ranks per node when every node holds the same number, else nil.
    public var uniformRanksPerNode: Int? {
        let counts = (0..<nodeCount).map { n in nodeOfRank.lazy.filter { $0 == n }.count }
        guard let first = counts.first, counts.allSatisfy({ $0 == first }) else { return nil }
        return first
    }

    public func sameNode(_ a: Int, _ b: Int) -> Bool { nodeOfRank[a] == nodeOfRank[b] }

    /// The topology of a group of this world's ranks (a split communicator):
    /// group rank i is world rank `worldRanks[i]`, nodes renumbered from 0 in
    /// order of appearance. The whole world in order gives this topology back.
    public func restricted(to worldRanks: [Int]) -> Topology {
        Topology(nodeOfRank: worldRanks.map { nodeOfRank[$0] }, intraNodeBandwidth: intraNodeBandwidth,
                 interNodeBandwidth: interNodeBandwidth)
    }

    /// Renumbers arbitrary node labels (host leaders, hashes) to 0, 1, ... in
    /// order of first appearance, i.e. of each node's lowest rank.
    static func densified(_ labels: [Int]) -> [Int] {
        var seen: [Int: Int] = [:]
        return labels.map { label in
            if let id = seen[label] { return id }
            let id = seen.count
            seen[label] = id
            return id
        }
    }
}

public enum TopologyError: Error, CustomStringConvertible, Equatable {
    case badWorldSize(Int)
    case ranksPerNodeDoesNotDivide(ranksPerNode: Int, worldSize: Int)

    public var description: String {
        switch self {
        case .badWorldSize(let n):
            return "world size must be positive, got \(n)"
        case .ranksPerNodeDoesNotDivide(let l, let r):
            return "topology.ranks_per_node = \(l) does not divide the world size \(r)"
        }
    }
}

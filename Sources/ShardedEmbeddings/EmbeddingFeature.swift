import Model
import Sharding

/// A sparse feature as the sharded embeddings see it: which table it reads,
/// and whether it is pooled (one vector per bag) or a sequence (one row per id).
public struct EmbeddingFeature: Sendable, Equatable {
    public var name: String
    /// Index into the collection's tables.
    public var table: Int
    public var isSequence: Bool
    public var pooling: PoolingMode

    public init(name: String, table: Int, isSequence: Bool, pooling: PoolingMode = .sum) {
        self.name = name; self.table = table; self.isSequence = isSequence; self.pooling = pooling
    }
}

/// One step's ids of one feature on this rank: `lengths[u]` ids for each of
/// its U bags (U = batch size, or the unique rows of an IKJT), `values` the
/// ids in bag order. Ids must lie in `0 ..< rows` of the feature's table.
public struct FeatureIds: Sendable, Equatable {
    public var lengths: [Int32]
    public var values: [Int64]

    public init(lengths: [Int32], values: [Int64]) {
        self.lengths = lengths; self.values = values
    }

    public var bags: Int { lengths.count }

    /// Replaces the contents, keeping the arrays' storage: after the first
    /// steps, refilling allocates nothing.
    public mutating func assign<L: Collection<Int32>, V: Collection<Int64>>(lengths newLengths: L, values newValues: V) {
        lengths.removeAll(keepingCapacity: true)
        lengths.append(contentsOf: newLengths)
        values.removeAll(keepingCapacity: true)
        values.append(contentsOf: newValues)
    }
}

/// FlexShard's row -> (tier, index) codes of one table, shared by its groups.
final class TierCodes {
    let codes: [UInt32]
    init(_ codes: [UInt32]) { self.codes = codes }
}

/// Where a group's rows live on the ranks of its lane's communicator.
enum Placement {
    /// Contiguous row blocks: row x on `destinations[x / blockRows]`, local row `x % blockRows`.
    case block(blockRows: Int)
    /// One FlexShard tier: the tier's j-th row on lane rank `j % peers`, local row `j / peers`;
    /// rows of other tiers are not this group's.
    case tier(TierCodes, tier: UInt32, peers: Int)
}

/// A (feature, column shard) pair, or a (feature, FlexShard tier): the unit
/// the exchanges are organised by. Every rank derives the same list from the
/// plan, so messages need no tags.
package struct LookupGroup {
    package var feature: Int
    package var table: Int
    package var columnStart: Int
    package var width: Int
    /// Ranks of the lane's communicator that may own rows of this group.
    package var destinations: [Int]
    var placement: Placement
    package var isSequence: Bool
}

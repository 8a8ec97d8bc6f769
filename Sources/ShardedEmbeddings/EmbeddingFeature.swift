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

/// A (feature, part of its table's `RowPlacement`) pair: the unit the
/// exchanges are organised by. Every rank derives the same list from the
/// plan, so messages need no tags.
package struct LookupGroup {
    package var feature: Int
    package var table: Int
    /// The part of the table's placement (`RowPlacement.parts`).
    package var part: Int
    package var columnStart: Int
    package var width: Int
    /// Ranks of the lane's communicator that may own rows of this group.
    package var destinations: [Int]
    /// Where the part's rows live on the ranks of the lane's communicator
    /// (`rows.owner(ofRow:)` names a position in `destinations`); rows of
    /// other parts are not this group's.
    var rows: RowPlacement.Locator
    package var isSequence: Bool
}

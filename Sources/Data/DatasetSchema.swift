/// How a sparse feature is looked up.
public enum FeatureKind: String, Sendable, Codable, Equatable {
    /// One embedding per bag (ids summed): a categorical or multi-hot feature.
    case pooled
    /// One embedding per id, kept in order: a sequence (a user's history).
    case sequence
}

/// A sparse feature: its key in a batch, the table its ids index, and whether it
/// lives in the batch's user-side IKJT (`userSide`) or per-sample item-side KJT.
///
/// Two features may share a table: the candidate `item` (pooled, item side) and
/// the `history` sequence (user side) both index table `item`.
public struct FeatureSpec: Sendable, Codable, Equatable {
    public var name: String
    public var table: String
    public var kind: FeatureKind
    public var userSide: Bool
    public init(name: String, table: String, kind: FeatureKind, userSide: Bool) {
        self.name = name; self.table = table; self.kind = kind; self.userSide = userSide
    }
}

/// An embedding table: ids of its features lie in `0..<rows`.
public struct TableSpec: Sendable, Codable, Equatable {
    public var name: String
    public var rows: Int
    public init(name: String, rows: Int) { self.name = name; self.rows = rows }
}

/// What a data source yields: `denseCount` dense floats per sample, and sparse
/// features in a fixed order. A batch's `itemSide` KJT holds the item-side
/// features in schema order; its `userSide` IKJT the user-side ones.
///
/// ```
/// // synthetic:  tables item, user, c0, c1, c2
/// //   item    -> table item, pooled,   item side
/// //   c0..c2  -> table c0..c2, pooled, item side
/// //   user    -> table user, pooled,   user side
/// //   history -> table item, sequence, user side
/// ```
public struct DatasetSchema: Sendable, Codable, Equatable {
    public var denseCount: Int
    public var tables: [TableSpec]
    public var features: [FeatureSpec]
    public init(denseCount: Int, tables: [TableSpec], features: [FeatureSpec]) {
        self.denseCount = denseCount; self.tables = tables; self.features = features
    }

    /// Item-side features, in schema order: the keys of `Batch.itemSide`.
    public var itemSideFeatures: [FeatureSpec] { features.filter { !$0.userSide } }
    /// User-side features, in schema order: the keys of `Batch.userSide`.
    public var userSideFeatures: [FeatureSpec] { features.filter { $0.userSide } }
    public var itemSideKeys: [String] { itemSideFeatures.map(\.name) }
    public var userSideKeys: [String] { userSideFeatures.map(\.name) }

    public func table(named name: String) -> TableSpec? { tables.first { $0.name == name } }
    public func feature(named name: String) -> FeatureSpec? { features.first { $0.name == name } }
}

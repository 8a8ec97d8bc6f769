import Data
import Model
import ShardedEmbeddings
import Sharding

/// How the data's features map onto the sharded embeddings and the dense
/// model. Embedding features are the item-side ones (stride B) then the
/// user-side ones (stride U, unique rows), in schema order; the model's P
/// pooled inputs and S sequences keep that order.
///
///     synthetic: embedding features [item, c0, c1, c2 | user, history]
///                pooled  = [item, c0, c1, c2, user]   (user expanded by inverse)
///                sequence = [history]
public struct FeatureLayout: Sendable {
    public var tables: [TableConfig]
    public var features: [EmbeddingFeature]
    public var userSide: [Bool]
    /// Embedding-feature index of each pooled model input, and of each sequence.
    public var pooled: [Int]
    public var sequences: [Int]
    /// Index among `pooled` of the target-attention query, if any.
    public var targetQuery: Int?
    /// Each feature's key index in its side's jagged tensor (the schema's
    /// item-side or user-side key order, which every source uses).
    public var keyIndex: [Int]

    public init(schema: DatasetSchema, model: ModelConfig) throws {
        let D = model.embeddingDim
        tables = schema.tables.map { TableConfig(name: $0.name, rows: $0.rows, dim: D) }
        // model.use_sequences: false drops the sequence features (the ablation baseline).
        for name in model.excludeFeatures where schema.feature(named: name) == nil {
            throw ConfigError("model.exclude_features names unknown feature '\(name)' (features: \(schema.features.map(\.name).joined(separator: ", ")))")
        }
        let ordered = (schema.itemSideFeatures + schema.userSideFeatures)
            .filter { (model.useSequences || $0.kind != .sequence) && !model.excludeFeatures.contains($0.name) }
        let pooling = model.pooling
        var features: [EmbeddingFeature] = []
        for f in ordered {
            guard let t = schema.tables.firstIndex(where: { $0.name == f.table }) else {
                throw ConfigError("feature '\(f.name)' reads table '\(f.table)', which the data does not define")
            }
            features.append(EmbeddingFeature(name: f.name, table: t, isSequence: f.kind == .sequence, pooling: pooling))
        }
        self.features = features
        userSide = ordered.map(\.userSide)
        keyIndex = ordered.map { f in
            (f.userSide ? schema.userSideKeys : schema.itemSideKeys).firstIndex(of: f.name)!
        }
        pooled = features.indices.filter { !features[$0].isSequence }
        sequences = features.indices.filter { features[$0].isSequence }
        if model.encoder == .targetAttention, !sequences.isEmpty {
            let seqTable = features[sequences[0]].table
            let wanted = model.targetQuery
            guard let q = pooled.firstIndex(where: { k in
                wanted.map { features[k].name == $0 } ?? (features[k].table == seqTable && !userSide[k])
            }) else {
                throw ConfigError("model.target_query: no pooled feature \(wanted.map { "named '\($0)'" } ?? "on the sequence's table") to query target attention with")
            }
            targetQuery = q
        }
    }

    /// One step's ids per embedding feature, from a batch.
    public func ids(of batch: Batch) -> [FeatureIds] {
        var ids: [FeatureIds] = []
        fillIds(of: batch, into: &ids)
        return ids
    }

    /// The same, written into `ids` (reusing its arrays' storage: the step
    /// loop's form, which allocates nothing once the arrays have grown).
    public func fillIds(of batch: Batch, into ids: inout [FeatureIds]) {
        if ids.count != features.count { ids = features.map { _ in FeatureIds(lengths: [], values: []) } }
        for k in features.indices {
            let kjt = userSide[k] ? batch.userSide.unique : batch.itemSide
            // The schema's key order, checked (short strings compare inline, no allocation).
            let key = keyIndex[k] < kjt.keyCount && kjt.keys[keyIndex[k]] == features[k].name
                ? keyIndex[k] : kjt.index(ofKey: features[k].name)
            guard let key else { ids[k].assign(lengths: EmptyCollection(), values: EmptyCollection()); continue }
            ids[k].assign(lengths: kjt.lengths(key: key), values: kjt.values(key: key))
        }
    }
}

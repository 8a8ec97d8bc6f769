import Collectives
import Data
import Foundation
import Model
import Sharding
import Tensors
import Training

/// A model ready to score: the trainer's feature layout and dense shape, the
/// dense parameters and every embedding table whole, in one process.
///
/// Built from a trained run's final checkpoint (every rank's shards merged,
/// `Checkpoint.merge`) or from a config with the trainer's seeded random
/// initialisation (profiling, where the values do not matter but the shapes
/// do). Read-only once built: instances share the tables.
public final class ServedModel: @unchecked Sendable {
    public let schema: DatasetSchema
    public let model: ModelConfig
    public let layout: FeatureLayout
    /// The dense parameters in `DLRMDense`'s flat layout.
    public let dense: [Float]
    /// Each table `[rows x dim]`, in `layout.tables` order.
    public let tables: [FlatBuffer<Float>]
    /// Longest user history a request may carry (sizes each instance's buffers).
    public let maxHistory: Int
    /// Where the weights came from (summary.json).
    public let origin: String

    public var embeddingDim: Int { model.embeddingDim }
    public var denseCount: Int { schema.denseCount }

    init(schema: DatasetSchema, model: ModelConfig, layout: FeatureLayout, dense: [Float], tables: [FlatBuffer<Float>],
         maxHistory: Int, origin: String) {
        self.schema = schema; self.model = model; self.layout = layout; self.dense = dense
        self.tables = tables; self.maxHistory = maxHistory; self.origin = origin
    }

    /// The dense shape of one replica scoring up to `maxBatch` candidates.
    public func shape(maxBatch: Int) -> DLRMShape {
        layout.dlrmShape(model, denseFeatures: schema.denseCount, maxBatch: maxBatch, maxSequenceRows: max(1, maxHistory))
    }

    /// Bytes the served weights take: tables plus one copy of the dense parameters.
    public static func bytes(tables: [TableConfig], denseParameters: Int) -> Int {
        Checkpoint.mergedBytes(tables: tables, denseParameters: denseParameters)
    }

    /// Random weights (the trainer's initialisation under `seed`) for a schema
    /// and model: what `strata serve --workload` profiles.
    public static func random(schema: DatasetSchema, model: ModelConfig, seed: UInt64, maxHistory: Int,
                              memoryBudgetBytes: Int, origin: String) throws -> ServedModel {
        let layout = try FeatureLayout(schema: schema, model: model)
        let shape = layout.dlrmShape(model, denseFeatures: schema.denseCount, maxBatch: 1, maxSequenceRows: max(1, maxHistory))
        if let why = shape.invalidReason { throw ConfigError("model: \(why)") }
        let init0 = DLRMDense(shape: shape, seed: seed)
        try checkBudget(tables: layout.tables, denseParameters: init0.parameterCount, budget: memoryBudgetBytes, what: origin)
        let tables = layout.tables.enumerated().map { t, config -> FlatBuffer<Float> in
            let buffer = FlatBuffer<Float>(count: config.rows * config.dim)
            for row in 0..<config.rows {
                initEmbeddingRow(seed: seed, table: t, row: row, dim: config.dim, rowsInTable: config.rows,
                                 out: buffer.pointer + row * config.dim)
            }
            return buffer
        }
        return ServedModel(schema: schema, model: model, layout: layout, dense: Array(init0.params.buffer), tables: tables,
                           maxHistory: maxHistory, origin: origin)
    }

    /// A trained run's newest complete checkpoint, every rank's shards merged
    /// here; refused, with its size, when it does not fit `memoryBudgetBytes`.
    /// The run's data config is read for its schema (as the trainer does).
    public static func trained(runDirectory: String, memoryBudgetBytes: Int) throws -> ServedModel {
        let checkpoint = try Checkpoint.latest(in: runDirectory)
        let config = checkpoint.state.config
        let data = try DataSources.load(config.data, seed: config.run.seed)
        let schema = data.source.schema
        let layout = try FeatureLayout(schema: schema, model: config.model)
        try checkBudget(tables: layout.tables, denseParameters: checkpoint.state.denseParameters, budget: memoryBudgetBytes,
                        what: checkpoint.directory)
        let merged = try Checkpoint.merge(checkpoint, tables: layout.tables, seed: config.run.seed)
        let tables = merged.tables.map { values -> FlatBuffer<Float> in
            let b = FlatBuffer<Float>(count: values.count)
            values.withUnsafeBufferPointer { b.pointer.update(from: $0.baseAddress!, count: values.count) }
            return b
        }
        let maxHistory = max(data.maxSequenceLength, 1)
        return ServedModel(schema: schema, model: config.model, layout: layout, dense: merged.dense, tables: tables,
                           maxHistory: maxHistory, origin: "\(checkpoint.directory) (step \(checkpoint.state.step), \(checkpoint.state.worldSize) ranks merged)")
    }

    static func checkBudget(tables: [TableConfig], denseParameters: Int, budget: Int, what: String) throws {
        let need = bytes(tables: tables, denseParameters: denseParameters)
        guard budget <= 0 || need <= budget else {
            throw ConfigError("\(what): the model needs \(need) bytes (\(String(format: "%.2f", Double(need) / 1e9)) GB: tables "
                              + tables.map { "\($0.name) \($0.rows)x\($0.dim)" }.joined(separator: ", ")
                              + ") but the memory budget is \(budget) bytes (--memory-budget-bytes)")
        }
    }
}

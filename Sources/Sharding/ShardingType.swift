/// How one embedding table is spread over ranks, in TorchRec's vocabulary.
///
/// | type | rows | columns | lookups cross |
/// | --- | --- | --- | --- |
/// | `table_wise` | all, on one rank | all | world |
/// | `row_wise` | blocks over every rank | all | world |
/// | `column_wise` | all | blocks, each on one rank | world |
/// | `table_row_wise` | blocks over the ranks of one node | all | world (ids), rows only inside the node's shard set |
/// | `data_parallel` | all, on every rank | all | nothing (gradients are all-reduced) |
/// | `flexshard` | per row: hot on every rank, warm once per node, cold once | all | hot: nothing; warm: the node; cold: world |
public enum ShardingType: String, Sendable, Codable, CaseIterable {
    case tableWise = "table_wise"
    case rowWise = "row_wise"
    case columnWise = "column_wise"
    case tableRowWise = "table_row_wise"
    case dataParallel = "data_parallel"
    case flexShard = "flexshard"

    /// TorchRec's baselines (every type but FlexShard).
    public static var baselines: [ShardingType] { allCases.filter { $0 != .flexShard } }
}

/// An embedding table as the planner sees it.
public struct TableConfig: Sendable, Codable, Equatable {
    public var name: String
    public var rows: Int
    public var dim: Int

    public init(name: String, rows: Int, dim: Int) {
        self.name = name; self.rows = rows; self.dim = dim
    }
}

/// Which embedding optimizer, since its state is part of a shard's memory.
public enum EmbeddingOptimizerKind: String, Sendable, Codable, CaseIterable {
    /// One accumulator per row (FBGEMM's rowwise Adagrad).
    case rowwiseAdagrad = "rowwise_adagrad"
    /// One accumulator per element.
    case adagrad
    case sgd

    /// Optimizer-state floats per row of `width` columns.
    public func stateFloats(width: Int) -> Int {
        switch self {
        case .rowwiseAdagrad: return 1
        case .adagrad: return width
        case .sgd: return 0
        }
    }

    /// Bytes one stored row of `width` columns takes with its optimizer
    /// state: elements of `elementBytes` (4: fp32 rows; 2: fp16 or bf16 rows,
    /// `embedding.precision`), state in f32 whatever the rows.
    public func rowBytes(width: Int, elementBytes: Int = 4) -> Int {
        width * elementBytes + stateFloats(width: width) * 4
    }
}

import Model
import Sharding

/// The rows of one column shard that this rank stores, with their optimizer
/// state. Rows are initialised from their GLOBAL index (see
/// `initEmbeddingRow`), so any sharding starts from the same model.
final class ShardStore {
    let table: Int
    let shard: Int
    let width: Int
    let columnStart: Int
    /// Global row of local row 0.
    let firstRow: Int
    let rows: Int
    let weights: UnsafeMutablePointer<Float>    // [rows x width]
    let state: UnsafeMutablePointer<Float>      // optimizer state, [rows] or [rows x width]
    let optimizer: EmbeddingOptimizerKind
    private(set) var aggregator: RowAggregator

    init(table: Int, shard: Int, config: TableConfig, columnStart: Int, width: Int, firstRow: Int, rows: Int,
         seed: UInt64, optimizer: EmbeddingOptimizerKind, maxIdsPerStep: Int) {
        self.table = table; self.shard = shard; self.width = width; self.columnStart = columnStart
        self.firstRow = firstRow; self.rows = rows; self.optimizer = optimizer
        weights = .allocate(capacity: max(rows * width, 1))
        let stateCount = max(rows * optimizer.stateFloats(width: width), 1)
        state = .allocate(capacity: stateCount)
        state.initialize(repeating: 0, count: stateCount)
        let full = UnsafeMutablePointer<Float>.allocate(capacity: config.dim)
        defer { full.deallocate() }
        for r in 0..<rows {
            initEmbeddingRow(seed: seed, table: table, row: firstRow + r, dim: config.dim, rowsInTable: config.rows, out: full)
            (weights + r * width).initialize(from: full + columnStart, count: width)
        }
        aggregator = RowAggregator(tableRows: max(rows, 1), maxIds: max(maxIdsPerStep, 1), dim: width)
    }

    deinit {
        weights.deallocate()
        state.deallocate()
    }

    var bytes: Int { rows * (width + optimizer.stateFloats(width: width)) * 4 }

    /// Sums duplicate rows' gradients (growing the aggregator only when a step
    /// brings more ids than any before) and applies the optimizer.
    func aggregateAndApply(rows rowIndices: UnsafePointer<Int32>, grads: UnsafePointer<Float>, count n: Int,
                           learningRate lr: Float) {
        guard n > 0 else { return }
        if n > aggregator.maxIds {
            aggregator = RowAggregator(tableRows: max(rows, 1), maxIds: max(n, 2 * aggregator.maxIds), dim: width)
        }
        let u = aggregator.aggregate(rows: rowIndices, gradRows: grads, count: n)
        apply(rows: aggregator.uniqueRows, grads: aggregator.uniqueGrads, count: u, learningRate: lr)
    }

    /// Applies the optimizer to the aggregated gradient rows (each row once).
    func apply(rows rowIndices: UnsafePointer<Int32>, grads: UnsafePointer<Float>, count n: Int, learningRate lr: Float) {
        switch optimizer {
        case .rowwiseAdagrad:
            RowWiseAdagrad.step(table: weights, accumulators: state, dim: width, rows: rowIndices, gradRows: grads,
                                count: n, learningRate: lr)
        case .sgd:
            EmbeddingSGD.step(table: weights, dim: width, rows: rowIndices, gradRows: grads, count: n, learningRate: lr)
        case .adagrad:
            for k in 0..<n {
                let r = Int(rowIndices[k])
                Adagrad.step(params: weights + r * width, grads: grads + k * width, state: state + r * width,
                             count: width, learningRate: lr)
            }
        }
    }
}

import Model
import Sharding

/// The rows of one shard that this rank stores, with their optimizer state.
/// Rows are initialised from their GLOBAL index (see `initEmbeddingRow`), so
/// any sharding starts from the same model.
final class ShardStore {
    /// Which global row each local row is.
    enum RowMap {
        /// Local row r is global row `first + r` (block placements).
        case contiguous(first: Int)
        /// Local row r is `order[offset + r * peers + member]` (a FlexShard tier).
        case tiered(order: [Int32], offset: Int, peers: Int, member: Int)

        var isTiered: Bool {
            if case .tiered = self { return true }
            return false
        }

        @inline(__always)
        func global(_ r: Int) -> Int {
            switch self {
            case .contiguous(let first): return first + r
            case .tiered(let order, let offset, let peers, let member): return Int(order[offset + r * peers + member])
            }
        }
    }

    let table: Int
    let config: TableConfig
    let width: Int
    let columnStart: Int
    let map: RowMap
    /// Rows allocated now; a lazy store grows up to `capacityRows` as rows are touched.
    private(set) var rows: Int
    let capacityRows: Int
    private(set) var weights: UnsafeMutablePointer<Float>    // [rows x width]
    private(set) var state: UnsafeMutablePointer<Float>      // [rows] or [rows x width]
    let optimizer: EmbeddingOptimizerKind
    let seed: UInt64
    private(set) var aggregator: RowAggregator
    /// For a FlexShard tier store: the table's row codes and this store's tier.
    var tierCodes: TierCodes?
    var tier: UInt32 = 0

    init(table: Int, config: TableConfig, columnStart: Int, width: Int, map: RowMap, rows: Int, capacityRows: Int? = nil,
         seed: UInt64, optimizer: EmbeddingOptimizerKind, tier: RowTiers.Tier? = nil) {
        self.table = table; self.config = config; self.width = width; self.columnStart = columnStart
        self.map = map; self.optimizer = optimizer; self.seed = seed
        self.tier = tier?.rawValue ?? 0
        self.rows = 0
        self.capacityRows = capacityRows ?? rows
        weights = .allocate(capacity: 1)
        state = .allocate(capacity: 1)
        aggregator = RowAggregator(tableRows: 1, maxIds: 1, dim: width)
        grow(to: rows)
    }

    deinit {
        weights.deallocate()
        state.deallocate()
    }

    var stateFloatsPerRow: Int { optimizer.stateFloats(width: width) }

    /// The local row holding global row `g`, or nil when this store does not
    /// hold it (a lazy row beyond the allocated ones counts as held).
    func local(ofGlobal g: Int) -> Int? {
        switch map {
        case .contiguous(let first):
            let r = g - first
            return r >= 0 && r < rows ? r : nil
        case .tiered(_, _, let peers, let member):
            guard let code = tierCodes?.codes[g], RowTiers.tier(code) == tier else { return nil }
            let j = RowTiers.index(code)
            guard j % peers == member, j / peers < capacityRows else { return nil }
            return j / peers
        }
    }
    var bytes: Int { rows * (width + stateFloatsPerRow) * 4 }

    /// Makes local rows `0 ..< n` exist (a lazy store's first touch of a row).
    @inline(__always)
    func ensureRows(_ n: Int) {
        if n > rows { grow(to: max(n, min(capacityRows, rows + rows / 2 + 16))) }
    }

    private func grow(to n: Int) {
        precondition(n <= capacityRows, "table \(table): local row \(n - 1) beyond the shard's \(capacityRows) rows")
        let w = UnsafeMutablePointer<Float>.allocate(capacity: max(n * width, 1))
        let s = UnsafeMutablePointer<Float>.allocate(capacity: max(n * stateFloatsPerRow, 1))
        w.moveInitialize(from: weights, count: rows * width)
        s.moveInitialize(from: state, count: rows * stateFloatsPerRow)
        (s + rows * stateFloatsPerRow).initialize(repeating: 0, count: (n - rows) * stateFloatsPerRow)
        let full = UnsafeMutablePointer<Float>.allocate(capacity: config.dim)
        defer { full.deallocate() }
        for r in rows..<n {
            initEmbeddingRow(seed: seed, table: table, row: map.global(r), dim: config.dim, rowsInTable: config.rows, out: full)
            (w + r * width).initialize(from: full + columnStart, count: width)
        }
        weights.deallocate(); state.deallocate()
        weights = w; state = s
        rows = n
        aggregator = RowAggregator(tableRows: max(n, 1), maxIds: max(aggregator.maxIds, 1), dim: width)
    }

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

import Sharding

/// A block of embedding rows one rank stores: global rows
/// `firstRow ..< firstRow + rows` of `table`, columns
/// `columnStart ..< columnStart + width`, with `stateFloatsPerRow` optimizer
/// floats per row (1: row-wise Adagrad, width: Adagrad, 0: SGD).
///
/// This is the whole interface checkpoints use: save every local block, and
/// on load copy from each saved block whatever overlaps a local block, by
/// global row and column. Nothing depends on how the rows were placed, so a
/// checkpoint restores under any plan and world size (and any sharding type
/// that can describe its rows as blocks).
public struct EmbeddingBlock: Sendable, Equatable {
    public var table: Int
    public var firstRow: Int
    public var rows: Int
    public var columnStart: Int
    public var width: Int
    public var stateFloatsPerRow: Int
    /// A copy every rank holds (data_parallel); one rank's copy is enough.
    public var isReplica: Bool

    public init(table: Int, firstRow: Int, rows: Int, columnStart: Int, width: Int, stateFloatsPerRow: Int, isReplica: Bool) {
        self.table = table; self.firstRow = firstRow; self.rows = rows; self.columnStart = columnStart
        self.width = width; self.stateFloatsPerRow = stateFloatsPerRow; self.isReplica = isReplica
    }

    public var weightCount: Int { rows * width }
    public var stateCount: Int { rows * stateFloatsPerRow }
}

extension ShardedEmbeddingCollection {
    /// Every store on this rank: its sharded blocks, then its replicas (by table).
    var checkpointStores: [(ShardStore, Bool)] {
        stores.map { ($0, false) } + replicas.keys.sorted().map { (replicas[$0]!, true) }
    }

    static func block(_ s: ShardStore, replica: Bool) -> EmbeddingBlock {
        EmbeddingBlock(table: s.table, firstRow: s.firstRow, rows: s.rows, columnStart: s.columnStart, width: s.width,
                       stateFloatsPerRow: s.optimizer.stateFloats(width: s.width), isReplica: replica)
    }

    /// This rank's blocks with their weights `[rows x width]` and optimizer
    /// state `[rows x stateFloatsPerRow]`, read-only, in a fixed order.
    public func forEachLocalBlock(_ body: (EmbeddingBlock, UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>) throws -> Void) rethrows {
        for (s, replica) in checkpointStores {
            let b = Self.block(s, replica: replica)
            try body(b, UnsafeBufferPointer(start: s.weights, count: b.weightCount),
                     UnsafeBufferPointer(start: s.state, count: b.stateCount))
        }
    }

    /// Weight elements this rank stores (what a complete restore must write).
    public var localWeightCount: Int { checkpointStores.reduce(0) { $0 + $1.0.rows * $1.0.width } }

    /// Copies the part of a saved block that overlaps this rank's blocks into
    /// them, by global row and column; returns the weight elements written.
    ///
    /// Optimizer state: element-wise state (Adagrad) is copied by column like
    /// the weights. A per-row accumulator (row-wise Adagrad) belongs to a row
    /// and a column shard; it is copied from a saved block whose columns
    /// overlap. When the new plan splits a table's columns differently than
    /// the saved one, that accumulator cannot be exact (it summed over other
    /// columns); with the same column split (every type but column_wise) it is.
    @discardableResult
    public func restore(block b: EmbeddingBlock, weights: UnsafeBufferPointer<Float>, state: UnsafeBufferPointer<Float>) -> Int {
        precondition(weights.count == b.weightCount && state.count == b.stateCount)
        var written = 0
        for (s, _) in checkpointStores where s.table == b.table {
            let r0 = max(s.firstRow, b.firstRow), r1 = min(s.firstRow + s.rows, b.firstRow + b.rows)
            let c0 = max(s.columnStart, b.columnStart), c1 = min(s.columnStart + s.width, b.columnStart + b.width)
            guard r0 < r1, c0 < c1 else { continue }
            let perRow = s.optimizer.stateFloats(width: s.width)
            for g in r0..<r1 {
                let src = (g - b.firstRow) * b.width + (c0 - b.columnStart)
                let dst = (g - s.firstRow) * s.width + (c0 - s.columnStart)
                for c in 0..<(c1 - c0) { s.weights[dst + c] = weights[src + c] }
                written += c1 - c0
                if perRow == s.width, b.stateFloatsPerRow == b.width {
                    let ss = (g - b.firstRow) * b.width + (c0 - b.columnStart)
                    for c in 0..<(c1 - c0) { s.state[dst + c] = state[ss + c] }
                } else if perRow == 1, b.stateFloatsPerRow == 1 {
                    s.state[g - s.firstRow] = state[g - b.firstRow]
                }
            }
        }
        return written
    }
}

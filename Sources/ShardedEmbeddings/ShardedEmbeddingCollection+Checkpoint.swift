import Sharding
import Tensors

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
    /// How the rows are stored (checkpoints keep them so: 16-bit rows take
    /// half the bytes, and widening then narrowing them again is exact).
    public var precision: RowPrecision

    public init(table: Int, firstRow: Int, rows: Int, columnStart: Int, width: Int, stateFloatsPerRow: Int, isReplica: Bool,
                precision: RowPrecision = .fp32) {
        self.table = table; self.firstRow = firstRow; self.rows = rows; self.columnStart = columnStart
        self.width = width; self.stateFloatsPerRow = stateFloatsPerRow; self.isReplica = isReplica; self.precision = precision
    }

    public var weightCount: Int { rows * width }
    public var stateCount: Int { rows * stateFloatsPerRow }
}

extension ShardedEmbeddingCollection {
    /// Every store on this rank, with whether it is a copy every rank holds
    /// (data_parallel, FlexShard's hot rows: one rank's copy is enough).
    var checkpointStores: [(ShardStore, Bool)] {
        let replicated = Set(replicaTables.map(\.store) + syncs.filter { $0.isEveryRank || $0.comm?.size == comm.size }.flatMap(\.stores))
        return stores.enumerated().map { ($0.element, replicated.contains($0.offset)) }
    }

    /// The store's rows as blocks of consecutive global rows: one block for a
    /// contiguous shard, one per run of consecutive global rows for a
    /// FlexShard tier (rows there are placed by access count).
    static func blocks(_ s: ShardStore, replica: Bool) -> [(EmbeddingBlock, [Int])] {
        let perRow = s.optimizer.stateFloats(width: s.width)
        if case .contiguous(let first) = s.map {
            return [(EmbeddingBlock(table: s.table, firstRow: first, rows: s.rows, columnStart: s.columnStart, width: s.width,
                                    stateFloatsPerRow: perRow, isReplica: replica, precision: s.precision), Array(0..<s.rows))]
        }
        let byGlobal = (0..<s.rows).sorted { s.globalRow(ofSlot: $0) < s.globalRow(ofSlot: $1) }
        var out: [(EmbeddingBlock, [Int])] = []
        var i = 0
        while i < byGlobal.count {
            var j = i + 1
            while j < byGlobal.count, s.globalRow(ofSlot: byGlobal[j]) == s.globalRow(ofSlot: byGlobal[j - 1]) + 1 { j += 1 }
            out.append((EmbeddingBlock(table: s.table, firstRow: s.globalRow(ofSlot: byGlobal[i]), rows: j - i, columnStart: s.columnStart,
                                       width: s.width, stateFloatsPerRow: perRow, isReplica: replica, precision: s.precision), Array(byGlobal[i..<j])))
            i = j
        }
        return out
    }

    /// This rank's blocks with their weights `[rows x width]` and optimizer
    /// state `[rows x stateFloatsPerRow]`, read-only, in a fixed order. The
    /// buffers are valid only inside `body` (a FlexShard tier's rows are
    /// gathered into temporaries): copy or write them there.
    public func forEachLocalBlock(_ body: (EmbeddingBlock, UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>) throws -> Void) rethrows {
        for (s, replica) in checkpointStores {
            for (b, locals) in Self.blocks(s, replica: replica) {
                if case .contiguous = s.map, !s.isHalf {
                    try body(b, UnsafeBufferPointer(start: s.weights, count: b.weightCount),
                             UnsafeBufferPointer(start: s.state, count: b.stateCount))
                    continue
                }
                var w: [Float] = [], st: [Float] = []
                for r in locals {
                    w += s.rowValues(slot: r)
                    st += UnsafeBufferPointer(start: s.state + r * b.stateFloatsPerRow, count: b.stateFloatsPerRow)
                }
                try w.withUnsafeBufferPointer { wp in try st.withUnsafeBufferPointer { sp in try body(b, wp, sp) } }
            }
        }
    }

    /// Continues 16-bit rows' stochastic rounding after `backwardSteps` updates
    /// (its keys count the updates, so a resumed run rounds as the
    /// uninterrupted one would instead of repeating the first steps' draws).
    public func resumeRounding(afterUpdates backwardSteps: Int) {
        for s in stores where s.isHalf { s.roundingEpoch = UInt64(backwardSteps) }
    }

    /// Weight elements of contiguous shards this rank stores (what a complete
    /// restore must write). Stores placed per row (FlexShard) are not counted: rows a
    /// checkpoint never allocated were never touched and keep their
    /// initial values.
    public var localWeightCount: Int {
        checkpointStores.filter { $0.0.map.isContiguous }.reduce(0) { $0 + $1.0.rows * $1.0.width }
    }

    /// Copies the part of a saved block that overlaps this rank's stores into
    /// them, by global row and column; returns the weight elements written
    /// into contiguous shards.
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
            let c0 = max(s.columnStart, b.columnStart), c1 = min(s.columnStart + s.width, b.columnStart + b.width)
            guard c0 < c1 else { continue }
            let perRow = s.optimizer.stateFloats(width: s.width)
            for g in b.firstRow..<(b.firstRow + b.rows) {
                guard let local = s.local(ofGlobal: g) else { continue }
                let slot = s.slot(forLocal: local)
                let src = (g - b.firstRow) * b.width + (c0 - b.columnStart)
                let dst = slot * s.width + (c0 - s.columnStart)
                if s.isHalf {
                    for c in 0..<(c1 - c0) { s.setElement(slot: slot, column: c0 - s.columnStart + c, weights[src + c]) }
                } else {
                    for c in 0..<(c1 - c0) { s.weights[dst + c] = weights[src + c] }
                }
                if s.map.isContiguous { written += c1 - c0 }
                if perRow == s.width, b.stateFloatsPerRow == b.width {
                    let ss = (g - b.firstRow) * b.width + (c0 - b.columnStart)
                    for c in 0..<(c1 - c0) { s.state[dst + c] = state[ss + c] }
                } else if perRow == 1, b.stateFloatsPerRow == 1 {
                    s.state[slot] = state[g - b.firstRow]
                }
            }
        }
        return written
    }
}

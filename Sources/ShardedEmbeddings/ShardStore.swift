import Model
import Tensors
import Sharding

/// The rows of one shard that this rank stores, with their optimizer state.
/// Rows are initialised from their GLOBAL index (see `initEmbeddingRow`), so
/// any sharding starts from the same model.
package final class ShardStore {
    /// Which global row each local row is, and back: a member's share of
    /// one part of its table's `RowPlacement` (which builds it).
    package enum RowMap {
        /// Local row r is global row `first + r` (a block, a whole table).
        case contiguous(first: Int)
        /// Member `member`'s round-robin share of a part whose rows the
        /// placement names (`RowPlacement.Locator`).
        case strided(RowPlacement.Locator, member: Int)

        /// Whether rows are a contiguous range (else placed per row).
        var isContiguous: Bool {
            if case .contiguous = self { return true }
            return false
        }

        @inline(__always)
        func global(_ r: Int) -> Int {
            switch self {
            case .contiguous(let first): return first + r
            case .strided(let rows, let member): return rows.row(ofLocal: r, member: member)
            }
        }
    }

    let table: Int
    let config: TableConfig
    let width: Int
    let columnStart: Int
    let map: RowMap
    /// Slots in use. Local rows `0 ..< eagerRows` sit in slots of the same
    /// number; a lazy store (FlexShard's cold tier) gives each later local row
    /// its slot when first touched, so rows nobody reads take no memory.
    package private(set) var rows: Int
    /// Local rows this store may hold.
    let capacityRows: Int
    /// Rows stored from the start; a `let`, so the per-id `slot(forLocal:)`
    /// reads it without a runtime exclusivity check.
    let eagerRows: Int
    /// Slots the storage has room for (what `bytes` reports).
    private(set) var allocatedRows = 0
    private var lazySlot: [Int32] = []     // local - eagerRows -> slot, -1: not yet
    private var lazyLocal: [Int32] = []    // slot - eagerRows -> local
    private(set) var weights: UnsafeMutablePointer<Float>    // [rows x width] (fp32 rows; else unused)
    /// 16-bit rows [rows x width] (fp16 or bf16 `precision`; else unused).
    /// Every reader branches on `isHalf` (a `let`); the fp32 path is untouched.
    private(set) var half: UnsafeMutablePointer<UInt16>
    let precision: RowPrecision
    let isHalf: Bool
    /// Backward passes so far: part of each stochastic rounding's key, so a
    /// row's rounding differs step to step but not rank to rank.
    var roundingEpoch: UInt64 = 0
    private(set) var state: UnsafeMutablePointer<Float>      // [rows] or [rows x width]
    let optimizer: EmbeddingOptimizerKind
    let seed: UInt64
    private(set) var aggregator: RowAggregator
    /// Rows an eval lookup read without storing them (lazy rows nobody has
    /// trained): their initial values, one per read, rebuilt by every eval
    /// lookup. Lookup scratch like the exchange buffers, not table memory, so
    /// an eval takes none of the room the plan counted on.
    let unstored = ScratchBuffer<Float>(capacity: 1, zero: 0)

    /// `rows` stored from the start; a lazy store (`capacityRows` more) also
    /// takes room for `roomRows` in all at once, the rows its plan expects.
    package init(table: Int, config: TableConfig, columnStart: Int, width: Int, map: RowMap, rows: Int, capacityRows: Int? = nil,
         roomRows: Int = 0, seed: UInt64, optimizer: EmbeddingOptimizerKind, precision: RowPrecision = .fp32) {
        self.table = table; self.config = config; self.width = width; self.columnStart = columnStart
        self.map = map; self.optimizer = optimizer; self.seed = seed
        self.precision = precision; isHalf = precision != .fp32
        half = .allocate(capacity: 1)
        self.rows = 0
        self.capacityRows = capacityRows ?? rows
        eagerRows = rows
        weights = .allocate(capacity: 1)
        state = .allocate(capacity: 1)
        aggregator = RowAggregator(tableRows: 1, maxIds: 1, dim: width)
        reserve(min(max(rows, roomRows), self.capacityRows))
        for r in 0..<rows { initialize(slot: r, local: r) }
        self.rows = rows
        if self.capacityRows > rows { lazySlot = [Int32](repeating: -1, count: self.capacityRows - rows) }
    }

    deinit {
        LargePages.deallocate(weights, count: isHalf ? 1 : max(allocatedRows * width, 1))
        LargePages.deallocate(state, count: max(allocatedRows * stateFloatsPerRow, 1))
        if isHalf { LargePages.deallocate(half, count: max(allocatedRows * width, 1)) } else { half.deallocate() }
    }

    var stateFloatsPerRow: Int { optimizer.stateFloats(width: width) }

    /// The local row holding global row `g`, or nil when this store does not
    /// hold it (a lazy row beyond the allocated ones counts as held).
    package func local(ofGlobal g: Int) -> Int? {
        switch map {
        case .contiguous(let first):
            let r = g - first
            return r >= 0 && r < rows ? r : nil
        case .strided(let rows, let member):
            guard let (m, r) = rows.owner(ofRow: g), m == member, r < capacityRows else { return nil }
            return r
        }
    }
    /// Rows and optimizer state as allocated, plus a lazy store's slot map.
    var bytes: Int {
        allocatedRows * (width * precision.bytes + stateFloatsPerRow * 4) + (lazySlot.count + lazyLocal.count) * 4
    }

    /// Turns `n` local rows into slots in place: the identity for rows stored
    /// from the start (checked against the shard's size), `slot(forLocal:)`
    /// for a lazy store.
    @inline(__always)
    func slots(_ ids: UnsafeMutablePointer<Int32>, count n: Int) {
        if capacityRows > eagerRows {
            for j in 0..<n { ids[j] = Int32(slot(forLocal: Int(ids[j]))) }
        } else {
            // Only `let`s read here: no runtime exclusivity check per id.
            for j in 0..<n {
                precondition(UInt(bitPattern: Int(ids[j])) < UInt(eagerRows),
                             "table \(table): local row \(ids[j]) beyond the shard's \(eagerRows) rows")
            }
        }
    }

    /// `slots` for a lookup that stores nothing (eval): a lazy row without a
    /// slot gets its initial value in `unstored` instead, and its id becomes
    /// `~index` there (negative; `row(_:)` reads either kind).
    func readSlots(_ ids: UnsafeMutablePointer<Int32>, count n: Int) {
        guard capacityRows > eagerRows else { return slots(ids, count: n) }
        for j in 0..<n {
            let l = Int(ids[j])
            guard l >= eagerRows else { continue }
            let i = l - eagerRows
            precondition(i < lazySlot.count, "table \(table): local row \(l) beyond the shard's \(capacityRows) rows")
            if lazySlot[i] >= 0 { ids[j] = lazySlot[i]; continue }
            ids[j] = ~Int32(unstored.count / width)
            initialRow(local: l, into: unstored.appendUninitialized(width))
        }
    }

    /// The row a slot from `slots` or `readSlots` names.
    @inline(__always)
    static func row(_ id: Int32, weights: UnsafeMutablePointer<Float>, unstored: UnsafeMutablePointer<Float>,
                    width w: Int) -> UnsafeMutablePointer<Float> {
        id >= 0 ? weights + Int(id) * w : unstored + Int(~id) * w
    }

    /// The slot of local row `l`, giving it one (initialised from its global
    /// row) on first touch.
    @inline(__always)
    func slot(forLocal l: Int) -> Int {
        if l < eagerRows { return l }
        let i = l - eagerRows
        precondition(i < lazySlot.count, "table \(table): local row \(l) beyond the shard's \(capacityRows) rows")
        if lazySlot[i] >= 0 { return Int(lazySlot[i]) }
        let s = rows
        // Room grows by a quarter at a time, but never past the rows this
        // store may ever hold: what it reports is what the budget counts.
        if s == allocatedRows { reserve(min(max(s + 64, s + s / 4), capacityRows)) }
        initialize(slot: s, local: l)
        lazySlot[i] = Int32(s)
        lazyLocal.append(Int32(l))
        rows += 1
        return s
    }

    /// The global row in `slot`.
    @inline(__always)
    package func globalRow(ofSlot s: Int) -> Int {
        map.global(s < eagerRows ? s : Int(lazyLocal[s - eagerRows]))
    }

    /// Room for `n` slots (moving the storage; nothing holds its address
    /// across a step).
    private func reserve(_ n: Int) {
        guard n > allocatedRows else { return }
        if isHalf { return reserveHalf(n) }
        let w = LargePages.allocate(Float.self, count: max(n * width, 1))
        let s = LargePages.allocate(Float.self, count: max(n * stateFloatsPerRow, 1))
        w.moveInitialize(from: weights, count: rows * width)
        s.moveInitialize(from: state, count: rows * stateFloatsPerRow)
        LargePages.deallocate(weights, count: max(allocatedRows * width, 1))
        LargePages.deallocate(state, count: max(allocatedRows * stateFloatsPerRow, 1))
        weights = w; state = s
        allocatedRows = n
    }

    /// `reserve` for 16-bit rows (the f32 `weights` stay a placeholder).
    private func reserveHalf(_ n: Int) {
        let h = LargePages.allocate(UInt16.self, count: max(n * width, 1))
        let s = LargePages.allocate(Float.self, count: max(n * stateFloatsPerRow, 1))
        h.moveInitialize(from: half, count: rows * width)
        s.moveInitialize(from: state, count: rows * stateFloatsPerRow)
        if allocatedRows == 0 { half.deallocate() } else { LargePages.deallocate(half, count: max(allocatedRows * width, 1)) }
        LargePages.deallocate(state, count: max(allocatedRows * stateFloatsPerRow, 1))
        half = h; state = s
        allocatedRows = n
    }

    private func initialize(slot: Int, local: Int) {
        if isHalf {
            // The f32 initial value rounded to nearest: every sharding stores the same bits.
            withUnsafeTemporaryAllocation(of: Float.self, capacity: width) { row in
                initialRow(local: local, into: row.baseAddress!)
                Half16.encode(row.baseAddress!, into: half + slot * width, count: width, precision)
            }
        } else {
            initialRow(local: local, into: weights + slot * width)
        }
        (state + slot * stateFloatsPerRow).initialize(repeating: 0, count: stateFloatsPerRow)
    }

    /// This store's columns of local row `l` as initialised (a row is
    /// initialised whole, from its global index; a column shard keeps its part).
    private func initialRow(local l: Int, into out: UnsafeMutablePointer<Float>) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: config.dim) { full in
            initEmbeddingRow(seed: seed, table: table, row: map.global(l), dim: config.dim, rowsInTable: config.rows,
                             out: full.baseAddress!)
            out.update(from: full.baseAddress! + columnStart, count: width)
        }
    }

    /// Sums duplicate rows' gradients (growing the aggregator only when a step
    /// brings more ids than any before) and applies the optimizer.
    package func aggregateAndApply(rows rowIndices: UnsafePointer<Int32>, grads: UnsafePointer<Float>, count n: Int,
                           learningRate lr: Float) {
        guard n > 0 else { return }
        if n > aggregator.maxIds || aggregator.tableRows < rows {
            aggregator = RowAggregator(tableRows: max(allocatedRows, 1), maxIds: max(n, 2 * aggregator.maxIds), dim: width)
        }
        let u = aggregator.aggregate(rows: rowIndices, gradRows: grads, count: n)
        apply(rows: aggregator.uniqueRows, grads: aggregator.uniqueGrads, count: u, learningRate: lr)
    }

    /// Applies the optimizer to the aggregated gradient rows (each row once).
    package func apply(rows rowIndices: UnsafePointer<Int32>, grads: UnsafePointer<Float>, count n: Int, learningRate lr: Float) {
        if isHalf { return applyHalf(rows: rowIndices, grads: grads, count: n, learningRate: lr) }
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

// MARK: 16-bit rows

extension ShardStore {
    /// The optimizer on 16-bit rows: each row widened to f32, stepped with
    /// its f32 state, and stored back by stochastic rounding (keyed by seed,
    /// table, global row and `roundingEpoch`, so any sharding rounds a row
    /// alike). Rows are updated one at a time through a row on the stack.
    func applyHalf(rows rowIndices: UnsafePointer<Int32>, grads: UnsafePointer<Float>, count n: Int, learningRate lr: Float) {
        let w = width, half = self.half, state = self.state, p = precision, optimizer = self.optimizer
        let hasState = optimizer != .sgd
        let epochKey = StrataRNG.hash(seed: seed, stream: UInt64(table), index: roundingEpoch)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: max(w, 1)) { buffer in
            let row = buffer.baseAddress!
            for k in 0..<n {
                let r = Int(rowIndices[k]), g = grads + k * w
                // The row and its state a fixed distance ahead, as the f32 optimizers do (see Prefetch).
                if k + Prefetch.distance < n {
                    let ahead = Int(rowIndices[k + Prefetch.distance])
                    Prefetch.write(half + ahead * w, bytes: w * 2)
                    if hasState { Prefetch.write(state + (optimizer == .adagrad ? ahead * w : ahead)) }
                }
                Half16.decode(half + r * w, into: row, count: w, p)
                switch optimizer {
                case .rowwiseAdagrad:
                    var zero: Int32 = 0
                    RowWiseAdagrad.step(table: row, accumulators: state + r, dim: w, rows: &zero, gradRows: g, count: 1,
                                        learningRate: lr)
                case .sgd:
                    EmbeddingSGD.update(row, g, dim: w, learningRate: lr)
                case .adagrad:
                    Adagrad.step(params: row, grads: g, state: state + r * w, count: w, learningRate: lr)
                }
                let key = StrataRNG.mix(epochKey ^ UInt64(globalRow(ofSlot: r)) &* 0xD1B5_4A32_D192_ED03)
                Half16.encodeStochastic(row, into: half + r * w, count: w, p, key: key, firstColumn: columnStart)
            }
        }
    }

    /// Slot `s`'s row in f32 (exact for 16-bit rows).
    func readRow(slot s: Int, into out: UnsafeMutablePointer<Float>) {
        if isHalf { Half16.decode(half + s * width, into: out, count: width, precision) } else { out.update(from: weights + s * width, count: width) }
    }

    /// Slot `s`'s row as an array (checkpoints, gathers; not the step).
    package func rowValues(slot s: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: width) { b, n in readRow(slot: s, into: b.baseAddress!); n = width }
    }

    /// Sets element `c` of slot `s` (a restore; 16-bit rows round to nearest,
    /// exact for values saved from the same precision).
    func setElement(slot s: Int, column c: Int, _ x: Float) {
        if isHalf { half[s * width + c] = Half16.encode(x, precision) } else { weights[s * width + c] = x }
    }

    /// The row a slot from `slots`/`readSlots` names, added into `dst` (16-bit
    /// rows; an unstored eval row is f32).
    @inline(__always)
    static func addHalfRow(_ id: Int32, half: UnsafeMutablePointer<UInt16>, unstored: UnsafeMutablePointer<Float>, width w: Int,
                           _ p: RowPrecision, into dst: UnsafeMutablePointer<Float>) {
        if id >= 0 { Half16.decodeAdd(half + Int(id) * w, into: dst, count: w, p) } else { Rows.add(dst, unstored + Int(~id) * w, count: w) }
    }

    /// The address of a slot's row, for prefetch hints.
    @inline(__always)
    static func halfRowAddress(_ id: Int32, half: UnsafeMutablePointer<UInt16>, unstored: UnsafeMutablePointer<Float>,
                               width w: Int) -> UnsafeRawPointer {
        id >= 0 ? UnsafeRawPointer(half + Int(id) * w) : UnsafeRawPointer(unstored + Int(~id) * w)
    }
}

import Model
import Tensors

/// The on-device model's shape: the ordinary Strata DLRM (bottom MLP over the
/// dense features, one embedding table per sparse feature, pooled, dot
/// interaction, top MLP to a logit), small enough for a phone.
///
/// A feature holds one id per sample, or a bag of up to `bagSizes[p]` ids
/// (a history: the last clicked items) mean-pooled like an embedding bag;
/// a bag's unused slots hold -1 and an empty bag pools to zeros. Samples
/// store `slots` ids each, feature by feature.
public struct ModelSpec: Sendable, Equatable, Codable {
    public var denseFeatures: Int
    /// Rows of each sparse feature's table (one table per feature).
    public var tableRows: [Int]
    /// Id slots of each sparse feature (1: one id; L > 1: a bag of up to L).
    public var bagSizes: [Int]
    public var dim: Int
    /// Bottom MLP widths after the dense input; the last must equal `dim`.
    public var bottom: [Int]
    /// Top MLP widths after the interaction; the last must be 1.
    public var top: [Int]

    public init(denseFeatures: Int, tableRows: [Int], dim: Int, bottom: [Int], top: [Int], bagSizes: [Int]? = nil) {
        self.denseFeatures = denseFeatures
        self.tableRows = tableRows
        self.bagSizes = bagSizes ?? tableRows.map { _ in 1 }
        self.dim = dim
        self.bottom = bottom
        self.top = top
    }

    public var sparseFeatures: Int { tableRows.count }
    /// Ids a sample stores, all features' slots together.
    public var slots: Int { bagSizes.reduce(0, +) }

    func shape(maxBatch: Int) -> DLRMShape {
        DLRMShape(denseFeatures: denseFeatures, bottom: bottom, top: top, pooledFeatures: tableRows.count,
                  sequenceFeatures: 0, embeddingDim: dim, encoder: .mean, maxBatch: maxBatch, maxSequenceRows: 0)
    }

    /// Why the spec cannot be built, or nil.
    public var invalidReason: String? {
        if dim < 1 { return "model.dim must be positive" }
        if tableRows.isEmpty || tableRows.contains(where: { $0 < 1 }) { return "every table needs at least one row" }
        if bagSizes.count != tableRows.count || bagSizes.contains(where: { $0 < 1 }) {
            return "every sparse feature needs one bag size of at least 1"
        }
        return shape(maxBatch: 1).invalidReason
    }
}

/// One client's working copy of the model, reused for every client a rank
/// hosts (so a rank's memory does not grow with its clients).
///
/// The whole model is ONE flat vector `[dense (DLRMDense's layout) | tables]`:
/// an update is `w_global - w_local` over `parameterCount` floats and
/// aggregation is a flat axpy. The dense part lives in `DLRMDense`'s own
/// buffer and the tables in `tables`; `load`/`store` move the flat vector in
/// and out with two copies.
///
/// Local training is plain SGD on `w - lr * (g + mu * (w - w0))` (mu = 0:
/// FedAvg; mu > 0: FedProx's proximal term). Embedding gradients accumulate in
/// `tableGrads` over the rows a step touched, so a full-batch step (the client's
/// data in chunks of `maxBatch`) is exactly one gradient-descent step.
public final class ClientModel {
    public let spec: ModelSpec
    public let maxBatch: Int
    public let dense: DLRMDense
    public let tables: FlatBuffer<Float>
    let tableGrads: FlatBuffer<Float>
    let tableOffset: [Int]           // first float of table p in `tables`
    let rowBase: [Int]               // first global row of table p
    let slotBase: [Int]              // first id slot of feature p in a sample
    let totalRows: Int
    public var parameterCount: Int { dense.parameterCount + tables.count }
    public var denseCount: Int { dense.parameterCount }

    // Scratch, allocated once for maxBatch.
    let batchDense: FlatBuffer<Float>
    let batchPooled: FlatBuffer<Float>   // [P x B x D]
    let batchLabels: FlatBuffer<Float>
    var batchRows: [Int32]               // [B x slots] global rows, -1 for an empty slot
    var batchBagScale: [Float]           // [B x P] 1 / ids in the sample's bag (0 when empty)
    // Rows touched this step / this client (global row numbers) and their marks.
    var stepRows: [Int32] = []
    var stepMark: [Bool]
    var clientRows: [Int32] = []
    var clientMark: [Bool]
    var order: [Int32] = []
    /// The flat vector the model equals between clients (nil: unknown), and
    /// the one the current client started from (FedProx's w0, the update's base).
    var synced: UnsafePointer<Float>?
    var w0: UnsafePointer<Float>?

    /// `gemm`: the dense GEMMs' kernels (`model.gemm`, `model.precision`),
    /// prepared for `gemmBatch` samples (a client step's batch; default
    /// maxBatch); the caller tunes them (`dense.gemm`) before the first step.
    public init(spec: ModelSpec, maxBatch: Int, seed: UInt64, gemm: GemmOptions = .openblas, gemmBatch: Int? = nil) {
        if let why = spec.invalidReason { preconditionFailure("ModelSpec: \(why)") }
        self.spec = spec
        self.maxBatch = maxBatch
        dense = DLRMDense(shape: spec.shape(maxBatch: maxBatch), seed: seed, gemm: DenseGemm(options: gemm),
                          gemmBatch: gemmBatch.map { min($0, maxBatch) })
        var off = 0, row = 0
        var offsets: [Int] = [], bases: [Int] = []
        for r in spec.tableRows { offsets.append(off); bases.append(row); off += r * spec.dim; row += r }
        tableOffset = offsets
        rowBase = bases
        var slotAt = 0
        slotBase = spec.bagSizes.map { n in defer { slotAt += n }; return slotAt }
        totalRows = row
        tables = FlatBuffer(count: off)
        tableGrads = FlatBuffer(count: off)
        for (p, rows) in spec.tableRows.enumerated() {
            for r in 0..<rows {
                initEmbeddingRow(seed: seed, table: p, row: r, dim: spec.dim, rowsInTable: rows,
                                 out: tables.pointer + offsets[p] + r * spec.dim)
            }
        }
        let P = spec.sparseFeatures
        batchDense = FlatBuffer(count: maxBatch * spec.denseFeatures)
        batchPooled = FlatBuffer(count: P * maxBatch * spec.dim)
        batchLabels = FlatBuffer(count: maxBatch)
        batchRows = [Int32](repeating: 0, count: maxBatch * spec.slots)
        batchBagScale = [Float](repeating: 0, count: maxBatch * P)
        stepMark = [Bool](repeating: false, count: row)
        clientMark = [Bool](repeating: false, count: row)
    }

    // MARK: The flat vector

    /// Copies the model into `out` (`parameterCount` floats).
    public func store(into out: UnsafeMutablePointer<Float>) {
        out.update(from: dense.params.pointer, count: denseCount)
        (out + denseCount).update(from: tables.pointer, count: tables.count)
    }

    /// Sets the model from `flat` (`parameterCount` floats).
    public func load(from flat: UnsafePointer<Float>) {
        dense.params.pointer.update(from: flat, count: denseCount)
        tables.pointer.update(from: flat + denseCount, count: tables.count)
        synced = nil
    }

    public func flat() -> [Float] {
        var out = [Float](repeating: 0, count: parameterCount)
        out.withUnsafeMutableBufferPointer { store(into: $0.baseAddress!) }
        return out
    }

    // MARK: Local training

    /// Makes the model equal `global` (a round's start on a host).
    public func sync(to global: UnsafePointer<Float>) {
        load(from: global)
        synced = global
    }

    /// Trains from `global` on `data` and writes the update `global - local`,
    /// PACKED: `update` gets the values of the parts that can be non-zero (the
    /// dense part, then each row this client moved), `segments` their places in
    /// the flat vector as (start, count) pairs; returns the mean training loss
    /// of the last epoch. `unpack` makes the full vector.
    /// `batch` 0 is the whole data per step. The sample order of each epoch is a
    /// permutation keyed by `shuffleSeed` (nil keeps the data order).
    ///
    /// `global` must not change while the model is synced to it (`sync`): the
    /// model then copies only the dense part in, and afterwards writes the
    /// update and restores only the dense part and the rows this client moved
    /// (a client touches a few of the table rows), instead of the whole vector.
    public func train(from global: UnsafePointer<Float>, data: ClientSamples, epochs: Int, batch: Int,
                      learningRate lr: Float, proximalMu mu: Float, shuffleSeed: UInt64?,
                      update: UnsafeMutablePointer<Float>, segments: inout [Int]) -> Double {
        if synced != global { sync(to: global) }
        w0 = global
        let n = data.count
        let B = batch <= 0 ? max(n, 1) : batch
        var lastLoss = 0.0
        order.removeAll(keepingCapacity: true)
        for i in 0..<n { order.append(Int32(i)) }
        for e in 0..<max(epochs, 0) {
            if let s = shuffleSeed { shuffle(seed: s, epoch: e) }
            var lossSum = 0.0
            var at = 0
            while at < n {
                let m = min(B, n - at)
                lossSum += sgdStep(data: data, from: at, count: m, learningRate: lr, mu: mu)
                at += m
            }
            lastLoss = n > 0 ? lossSum / Double(n) : 0
        }
        // update = w0 - w on the dense part and the moved rows (zero
        // elsewhere); then the model returns to w0.
        let D = spec.dim, nd = denseCount
        let w = dense.params.pointer
        for i in 0..<nd { update[i] = global[i] - w[i] }
        w.update(from: global, count: nd)
        segments.removeAll(keepingCapacity: true)
        segments.append(0); segments.append(nd)
        let t = tables.pointer, t0 = global + nd
        var at = nd
        for r in clientRows {
            let o = Int(r) * D
            for d in 0..<D { update[at + d] = t0[o + d] - t[o + d] }
            (t + o).update(from: t0 + o, count: D)
            clientMark[Int(r)] = false
            segments.append(nd + o); segments.append(D)
            at += D
        }
        clientRows.removeAll(keepingCapacity: true)
        return lastLoss
    }

    /// `train`, with the update written as the full flat vector.
    public func trainFull(from global: UnsafePointer<Float>, data: ClientSamples, epochs: Int, batch: Int,
                          learningRate lr: Float, proximalMu mu: Float, shuffleSeed: UInt64?,
                          update: UnsafeMutablePointer<Float>) -> Double {
        var segments: [Int] = []
        let packed = FlatBuffer<Float>(count: parameterCount)
        let loss = train(from: global, data: data, epochs: epochs, batch: batch, learningRate: lr, proximalMu: mu,
                         shuffleSeed: shuffleSeed, update: packed.pointer, segments: &segments)
        unpack(packed.pointer, segments: segments, into: update, count: parameterCount)
        return loss
    }

    /// Fisher-Yates over `order`, keyed by (seed, epoch).
    func shuffle(seed: UInt64, epoch: Int) {
        var rng = StrataRNG(seed: StrataRNG.hash(seed: seed, stream: 0xF1, index: UInt64(epoch)))
        var i = order.count - 1
        while i > 0 {
            let j = Int(rng.next() % UInt64(i + 1))
            order.swapAt(i, j)
            i -= 1
        }
    }

    /// One SGD step on samples `order[from ..< from+count]` (in chunks of
    /// maxBatch, gradients summed, then one update); returns the summed loss.
    func sgdStep(data: ClientSamples, from: Int, count m: Int, learningRate lr: Float, mu: Float) -> Double {
        dense.zeroGrad()
        let D = spec.dim, P = spec.sparseFeatures
        let scale = 1 / Float(m)
        var loss = 0.0
        var at = from
        while at < from + m {
            let b = min(maxBatch, from + m - at)
            gather(data: data, from: at, count: b)
            loss += Double(dense.forward(batch: b, dense: batchDense.pointer, pooled: batchPooled.pointer,
                                         sequences: [], labels: batchLabels.pointer, lossScale: scale))
            dense.backward()
            // Embedding gradients, accumulated per touched row: a bag's mean
            // sends each of its ids the pooled gradient over the bag's size.
            let dP = dense.dPooled, S = spec.slots
            for p in 0..<P {
                let L = spec.bagSizes[p], base = slotBase[p]
                for s in 0..<b {
                    let src = dP + (p * b + s) * D, w = batchBagScale[s * P + p]
                    for k in 0..<L {
                        let row = batchRows[s * S + base + k]
                        if row < 0 { continue }
                        let r = Int(row)
                        if !stepMark[r] { stepMark[r] = true; stepRows.append(row) }
                        if !clientMark[r] { clientMark[r] = true; clientRows.append(row) }
                        let g = tableGrads.pointer + r * D
                        for d in 0..<D { g[d] += w * src[d] }   // w is exactly 1 for a plain id
                    }
                }
            }
            at += b
        }
        // Dense: w -= lr * (g + mu (w - w0)).
        let w = dense.params.pointer, g = dense.grads.pointer, w0 = self.w0!
        if mu != 0 {
            for i in 0..<denseCount { w[i] -= lr * (g[i] + mu * (w[i] - w0[i])) }
        } else {
            BLAS.axpy(n: denseCount, alpha: -lr, x: g, y: w)
        }
        // Tables: touched rows take their gradient; the proximal term pulls
        // every row this client moved (the others still equal w0: no pull).
        let t = tables.pointer, tg = tableGrads.pointer, t0 = w0 + denseCount
        if mu != 0 {
            for row in clientRows {
                let o = Int(row) * D
                for d in 0..<D { t[o + d] -= lr * (tg[o + d] + mu * (t[o + d] - t0[o + d])) }
            }
        } else {
            for row in stepRows {
                let o = Int(row) * D
                for d in 0..<D { t[o + d] -= lr * tg[o + d] }
            }
        }
        for row in stepRows {
            let o = Int(row) * D
            stepMark[Int(row)] = false
            (tg + o).update(repeating: 0, count: D)
        }
        stepRows.removeAll(keepingCapacity: true)
        return loss
    }

    /// Copies samples `order[from ..< from+count]` into the batch buffers,
    /// pooling each bag to the mean of its rows.
    func gather(data: ClientSamples, from: Int, count b: Int) {
        let nd = spec.denseFeatures, P = spec.sparseFeatures, D = spec.dim, S = spec.slots
        data.dense.withUnsafeBufferPointer { dd in
            data.ids.withUnsafeBufferPointer { ids in
                for s in 0..<b {
                    let i = Int(order[from + s])
                    (batchDense.pointer + s * nd).update(from: dd.baseAddress! + i * nd, count: nd)
                    batchLabels.pointer[s] = data.labels[i]
                    for p in 0..<P {
                        let L = spec.bagSizes[p], out = batchPooled.pointer + (p * b + s) * D
                        if L == 1 {
                            let local = Int(ids[i * S + slotBase[p]])
                            precondition(local >= 0 && local < spec.tableRows[p], "id \(local) outside table \(p)")
                            let row = rowBase[p] + local
                            batchRows[s * S + slotBase[p]] = Int32(row)
                            batchBagScale[s * P + p] = 1
                            Rows.copy(out, tables.pointer + row * D, count: D)
                            continue
                        }
                        out.update(repeating: 0, count: D)
                        var n = 0
                        for k in 0..<L {
                            let local = Int(ids[i * S + slotBase[p] + k])
                            precondition(local >= -1 && local < spec.tableRows[p], "id \(local) outside table \(p)")
                            guard local >= 0 else { batchRows[s * S + slotBase[p] + k] = -1; continue }
                            let row = rowBase[p] + local
                            batchRows[s * S + slotBase[p] + k] = Int32(row)
                            let src = tables.pointer + row * D
                            for d in 0..<D { out[d] += src[d] }
                            n += 1
                        }
                        let w: Float = n > 0 ? 1 / Float(n) : 0
                        for d in 0..<D { out[d] *= w }
                        batchBagScale[s * P + p] = w
                    }
                }
            }
        }
    }

    // MARK: Inference

    /// Logits of every sample of `data`, in order (the model unchanged).
    public func logits(_ data: ClientSamples) -> [Float] {
        var out = [Float](repeating: 0, count: data.count)
        order.removeAll(keepingCapacity: true)
        for i in 0..<data.count { order.append(Int32(i)) }
        var at = 0
        while at < data.count {
            let b = min(maxBatch, data.count - at)
            gather(data: data, from: at, count: b)
            _ = dense.forward(batch: b, dense: batchDense.pointer, pooled: batchPooled.pointer,
                              sequences: [], labels: batchLabels.pointer, lossScale: 1)
            for s in 0..<b { out[at + s] = dense.logits[s] }
            at += b
        }
        return out
    }

    /// Forward FLOPs of one scored sample (on-client evaluation): the dense
    /// part's forward (a third of its forward+backward figure) and one row
    /// read per id slot (a bag counted full).
    public var forwardFlopsPerSample: Double {
        dense.flopsPerSample(meanSequenceLength: 0) / 3 + Double(spec.slots * spec.dim)
    }

    /// Forward+backward FLOPs of one training sample (the device model's work unit).
    public var flopsPerSample: Double {
        dense.flopsPerSample(meanSequenceLength: 0) + 3 * Double(spec.slots * spec.dim)
    }
}

/// Scatters packed segment values into a zeroed flat vector of `count` floats.
public func unpack(_ packed: UnsafePointer<Float>, segments: [Int], into out: UnsafeMutablePointer<Float>, count: Int) {
    out.update(repeating: 0, count: count)
    var at = 0
    for s in stride(from: 0, to: segments.count, by: 2) {
        (out + segments[s]).update(from: packed + at, count: segments[s + 1])
        at += segments[s + 1]
    }
}

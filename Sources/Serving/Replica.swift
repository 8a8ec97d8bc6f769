#if canImport(Glibc)
import Glibc
#endif
import Model
import Tensors

/// One thread's copy of the dense model with its input buffers: scores up to
/// `maxBatch` candidates of one request at a time. The forward is the
/// trainer's eval forward (`DLRMDense.forward`, the same inputs in the same
/// layout: dense rows, pooled `[P x B x D]`, sequences with an inverse), the
/// request's user context standing in for a deduplicated user row (U = 1,
/// inverse all zeros). Allocates nothing per call.
final class Replica {
    let served: ServedModel
    let model: DLRMDense
    let maxBatch: Int
    private let dense: FlatBuffer<Float>        // [maxB x denseCount]
    private let pooled: FlatBuffer<Float>       // [P x maxB x D]
    private let userPooled: FlatBuffer<Float>   // [D] one user bag
    private let rows: [FlatBuffer<Float>]       // S x [maxHistory x D]
    private let offsets: [FlatBuffer<Int32>]    // S x [2]
    private let inverse: FlatBuffer<Int32>      // [maxB] zeros: every candidate reads user row 0
    private let labels: FlatBuffer<Float>       // [maxB] zeros (the loss is not read)
    private let bagOffsets: FlatBuffer<Int32>   // [2] one user bag
    /// Seconds spent in embedding lookups and in the dense forward, summed
    /// over calls (the performance model's split; two clock reads a call).
    private(set) var embeddingSeconds = 0.0
    private(set) var denseSeconds = 0.0

    init(served: ServedModel, maxBatch: Int) {
        self.served = served
        self.maxBatch = maxBatch
        let shape = served.shape(maxBatch: maxBatch)
        // The run's `model.gemm` / `model.precision`: each shape's kernel at
        // maxBatch, timed once a process (every replica then shares the choice);
        // a smaller sub-batch runs on OpenBLAS.
        let gemm = DenseGemm(options: served.model.gemmOptions)
        let m = DLRMDense(shape: shape, seed: 0, gemm: gemm)
        gemm.tune()
        served.dense.withUnsafeBufferPointer { m.params.pointer.update(from: $0.baseAddress!, count: $0.count) }
        model = m
        let D = served.embeddingDim
        dense = FlatBuffer(count: maxBatch * served.denseCount)
        pooled = FlatBuffer(count: shape.pooledFeatures * maxBatch * D)
        userPooled = FlatBuffer(count: D)
        rows = (0..<shape.sequenceFeatures).map { _ in FlatBuffer(count: max(1, served.maxHistory) * D) }
        offsets = (0..<shape.sequenceFeatures).map { _ in FlatBuffer(count: 2) }
        inverse = FlatBuffer(count: maxBatch)
        labels = FlatBuffer(count: maxBatch)
        bagOffsets = FlatBuffer(count: 2)
    }

    /// Logits of candidates `range` of `request` into `out[range]`.
    func score(_ request: ScoringRequest, _ range: Range<Int>, out: UnsafeMutablePointer<Float>) {
        let B = range.count, D = served.embeddingDim, layout = served.layout, C = served.denseCount
        precondition(B <= maxBatch && B > 0)
        let t0 = Self.now()
        request.dense.withUnsafeBufferPointer { d in
            for b in 0..<B { (dense.pointer + b * C).update(from: d.baseAddress!, count: C) }
        }
        for (p, k) in layout.pooled.enumerated() {
            let f = layout.features[k]
            let table = UnsafePointer(served.tables[f.table].pointer)
            let dst = pooled.pointer + p * B * D
            if let ids = request.user[k] {
                // A user-side bag: pooled once, the same row for every candidate (the trainer's inverse expansion).
                bagOffsets.pointer[0] = 0
                bagOffsets.pointer[1] = Int32(ids.count)
                ids.withUnsafeBufferPointer { v in
                    EmbeddingBag.poolForward(table: table, dim: D, rowIndices: v.baseAddress ?? UnsafePointer(bagOffsets.pointer),
                                             offsets: bagOffsets.pointer, bags: 1, mode: f.pooling, out: userPooled.pointer)
                }
                for b in 0..<B { Rows.copy(dst + b * D, userPooled.pointer, count: D) }
            } else if let bags = request.candidates[k] {
                bags.values.withUnsafeBufferPointer { v in
                    bags.offsets.withUnsafeBufferPointer { o in
                        // Offsets are absolute into `values`: pass them from this range's first bag.
                        EmbeddingBag.poolForward(table: table, dim: D, rowIndices: v.baseAddress ?? o.baseAddress!,
                                                 offsets: o.baseAddress! + range.lowerBound, bags: B, mode: f.pooling, out: dst)
                    }
                }
            }
        }
        var sequences: [SequenceBatch] = []
        sequences.reserveCapacity(layout.sequences.count)
        for (s, k) in layout.sequences.enumerated() {
            let ids = request.user[k] ?? []
            let table = UnsafePointer(served.tables[layout.features[k].table].pointer)
            ids.withUnsafeBufferPointer { v in
                if let base = v.baseAddress {
                    EmbeddingBag.gatherRows(table: table, dim: D, rowIndices: base, count: ids.count, out: rows[s].pointer)
                }
            }
            offsets[s].pointer[0] = 0
            offsets[s].pointer[1] = Int32(ids.count)
            sequences.append(SequenceBatch(rows: UnsafePointer(rows[s].pointer), offsets: UnsafePointer(offsets[s].pointer),
                                           uniqueCount: 1, inverse: UnsafePointer(inverse.pointer)))
        }
        let t1 = Self.now()
        _ = model.forward(batch: B, dense: dense.pointer, pooled: pooled.pointer, sequences: sequences,
                          labels: labels.pointer, lossScale: 1)
        (out + range.lowerBound).update(from: model.logits, count: B)
        embeddingSeconds += t1 - t0
        denseSeconds += Self.now() - t1
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}

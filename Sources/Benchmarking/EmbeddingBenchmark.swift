import Foundation
import Model
import Tensors

struct EmbeddingBenchRow: Codable {
    var kernel: String
    var ids: Int
    var bytes: Int
    var milliseconds: Spread
    var gbps: Spread
    var percentOfCopy = 0.0
}

struct EmbeddingBenchReport: Codable {
    var machine: BenchMachine
    var tables: Int
    var rows: Int
    var dim: Int
    var batch: Int
    var reps: Int
    var warmup: Int
    var rows_: [EmbeddingBenchRow]

    enum CodingKeys: String, CodingKey {
        case machine, tables, rows, dim, batch, reps, warmup
        case rows_ = "results"
    }
}

public final class EmbeddingBenchmark {
    /// `strata bench embedding`: the copy baseline, pooled lookups per bag
    /// size with their updates, and the sequence lookup, in GB/s.
    public static func run(tables: Int, rows: Int, dim: Int, batch: Int, bagSizes: [Int], sequenceLength: Int,
                           copyMiB: Int, settings: BenchSettings) throws {
        let (reps, warmup) = (settings.reps, settings.warmup)
        let bench = EmbeddingBenchmark(tables: tables, rows: rows, dim: dim, batch: batch)
        var results: [EmbeddingBenchRow] = []
        let copy = bench.copy(mib: copyMiB, reps: reps, warmup: warmup)
        results.append(copy)
        for bag in bagSizes {
            results += bench.pooled(bagSize: bag, reps: reps, warmup: warmup)
        }
        results.append(bench.sequence(length: sequenceLength, reps: reps, warmup: warmup))
        for i in results.indices { results[i].percentOfCopy = 100 * results[i].gbps.median / copy.gbps.median }
        let report = EmbeddingBenchReport(machine: .current(blasThreads: BLAS.threads), tables: tables, rows: rows, dim: dim,
                                          batch: batch, reps: reps, warmup: warmup, rows_: results)
        try settings.emit(report) {
            "tables \(tables) x \(rows) rows x dim \(dim) (\(BenchFormat.fixed(Double(tables * rows * dim * 4) / 1e6, 0)) MB), batch \(batch)\n"
                + BenchFormat.table(
                    ["kernel", "ids", "MB moved", "ms (min-max)", "GB/s (min-max)", "% copy"],
                    results.map { r in
                        [r.kernel, "\(r.ids)", BenchFormat.fixed(Double(r.bytes) / 1e6, 2), r.milliseconds.text(3),
                         r.gbps.text(2), BenchFormat.fixed(r.percentOfCopy, 0)]
                    })
        }
    }

    let tables: Int, rows: Int, dim: Int, batch: Int
    let table: UnsafeMutableBufferPointer<Float>       // [tables * rows x D]
    let accumulators: UnsafeMutableBufferPointer<Float> // [tables * rows]
    var totalRows: Int { tables * rows }

    init(tables: Int, rows: Int, dim: Int, batch: Int) {
        self.tables = tables; self.rows = rows; self.dim = dim; self.batch = batch
        // On 2 MiB pages, as the training stores are (ShardStore).
        table = UnsafeMutableBufferPointer(start: LargePages.allocate(Float.self, count: tables * rows * dim),
                                           count: tables * rows * dim)
        for i in 0..<table.count { table[i] = Float(i & 1023) * 1e-3 }
        accumulators = UnsafeMutableBufferPointer(start: LargePages.allocate(Float.self, count: tables * rows),
                                                  count: tables * rows)
        accumulators.initialize(repeating: 0)
    }

    deinit {
        LargePages.deallocate(table.baseAddress!, count: table.count)
        LargePages.deallocate(accumulators.baseAddress!, count: accumulators.count)
    }

    /// Uniform ids: id k of table t is a row of table t.
    func ids(count: Int, perTable: Int, seed: UInt64) -> [Int32] {
        var g = StrataRNG(seed: seed)
        return (0..<count).map { k in
            let t = (k / perTable) % tables
            return Int32(t * rows + Int(g.next() % UInt64(rows)))
        }
    }

    static func time(reps: Int, warmup: Int, bytes: Int, _ body: (Int) -> Void) -> (Spread, Spread) {
        var ms: [Double] = [], gbps: [Double] = []
        for i in 0..<(warmup + reps) {
            let t0 = Date.timeIntervalSinceReferenceDate
            body(i)
            let dt = Date.timeIntervalSinceReferenceDate - t0
            if i >= warmup { ms.append(dt * 1e3); gbps.append(Double(bytes) / dt / 1e9) }
        }
        return (Spread(ms), Spread(gbps))
    }

    func copy(mib: Int, reps: Int, warmup: Int) -> EmbeddingBenchRow {
        let n = mib << 20
        let src = UnsafeMutableRawPointer.allocate(byteCount: n, alignment: 64)
        let dst = UnsafeMutableRawPointer.allocate(byteCount: n, alignment: 64)
        defer { src.deallocate(); dst.deallocate() }
        memset(src, 1, n); memset(dst, 2, n)
        let (ms, gb) = Self.time(reps: reps, warmup: warmup, bytes: 2 * n) { _ in memcpy(dst, src, n) }
        return EmbeddingBenchRow(kernel: "copy (memcpy \(mib) MiB)", ids: 0, bytes: 2 * n, milliseconds: ms, gbps: gb)
    }

    /// poolForward over batch x tables bags of `bagSize` ids, then the backward's
    /// aggregation and the two row updates on the same ids. Every repetition
    /// draws new ids, so rows come from memory, not from the last repetition's cache.
    func pooled(bagSize: Int, reps: Int, warmup: Int) -> [EmbeddingBenchRow] {
        let D = dim, bags = batch * tables, n = bags * bagSize, runs = reps + warmup
        // Bag g = (table g / batch, sample g % batch), as the trainer lays out features.
        let idSets = (0..<runs).map { ids(count: n, perTable: batch * bagSize, seed: UInt64(1000 * bagSize + $0)) }
        let offsets = (0...bags).map { Int32($0 * bagSize) }
        let out = UnsafeMutableBufferPointer<Float>.allocate(capacity: bags * D)
        let grads = UnsafeMutableBufferPointer<Float>.allocate(capacity: n * D)
        defer { out.deallocate(); grads.deallocate() }
        for i in 0..<grads.count { grads[i] = Float(i % 7) * 1e-4 }
        let g = UnsafePointer(grads.baseAddress!)
        var result: [EmbeddingBenchRow] = []
        offsets.withUnsafeBufferPointer { o in
            let fwdBytes = n * D * 4 + bags * D * 4 + n * 4 + (bags + 1) * 4
            let (ms, gb) = Self.time(reps: reps, warmup: warmup, bytes: fwdBytes) { i in
                idSets[i].withUnsafeBufferPointer { r in
                    EmbeddingBag.poolForward(table: UnsafePointer(table.baseAddress!), dim: D, rowIndices: r.baseAddress!,
                                             offsets: o.baseAddress!, bags: bags, mode: .sum, out: out.baseAddress!)
                }
            }
            result.append(EmbeddingBenchRow(kernel: "poolForward bag \(bagSize)", ids: n, bytes: fwdBytes,
                                            milliseconds: ms, gbps: gb))
        }
        // The backward: one aggregator per id set (as each step has its own), made untimed.
        let aggs = (0..<runs).map { _ in RowAggregator(tableRows: totalRows, maxIds: n, dim: D) }
        var uniques = [Int](repeating: 0, count: runs)
        let unique0 = idSets[0].withUnsafeBufferPointer { aggs[0].aggregate(rows: $0.baseAddress!, gradRows: g, count: n) }
        // Reads ids and gradient rows, reads/writes slots, writes unique rows and sums.
        let aggBytes = n * 4 + n * D * 4 + 2 * n * 4 + unique0 * (4 + D * 4)
        let (ams, agb) = Self.time(reps: reps, warmup: warmup, bytes: aggBytes) { i in
            uniques[i] = idSets[i].withUnsafeBufferPointer { aggs[i].aggregate(rows: $0.baseAddress!, gradRows: g, count: n) }
        }
        result.append(EmbeddingBenchRow(kernel: "RowAggregator bag \(bagSize)", ids: n, bytes: aggBytes,
                                        milliseconds: ams, gbps: agb))
        // Rows read and written, gradients read, accumulators read and written.
        let adaBytes = unique0 * (4 + D * 4 + 2 * D * 4 + 2 * 4)
        let (wms, wgb) = Self.time(reps: reps, warmup: warmup, bytes: adaBytes) { i in
            RowWiseAdagrad.step(table: table.baseAddress!, accumulators: accumulators.baseAddress!, dim: D,
                                rows: aggs[i].uniqueRows, gradRows: aggs[i].uniqueGrads, count: uniques[i], learningRate: 0.01)
        }
        result.append(EmbeddingBenchRow(kernel: "RowWiseAdagrad.step bag \(bagSize)", ids: unique0, bytes: adaBytes,
                                        milliseconds: wms, gbps: wgb))
        let sgdBytes = unique0 * (4 + D * 4 + 2 * D * 4)
        let (sms, sgb) = Self.time(reps: reps, warmup: warmup, bytes: sgdBytes) { i in
            EmbeddingSGD.step(table: table.baseAddress!, dim: D, rows: aggs[i].uniqueRows, gradRows: aggs[i].uniqueGrads,
                              count: uniques[i], learningRate: 0.01)
        }
        result.append(EmbeddingBenchRow(kernel: "EmbeddingSGD.step bag \(bagSize)", ids: unique0, bytes: sgdBytes,
                                        milliseconds: sms, gbps: sgb))
        return result
    }

    /// gatherRows: one row per id (unpooled sequence lookups), batch x length ids.
    func sequence(length: Int, reps: Int, warmup: Int) -> EmbeddingBenchRow {
        let D = dim, n = batch * length
        let idSets = (0..<(reps + warmup)).map { ids(count: n, perTable: n, seed: UInt64(99 + $0)) }
        let out = UnsafeMutableBufferPointer<Float>.allocate(capacity: n * D)
        defer { out.deallocate() }
        let bytes = n * 4 + 2 * n * D * 4
        let (ms, gb) = Self.time(reps: reps, warmup: warmup, bytes: bytes) { i in
            idSets[i].withUnsafeBufferPointer { r in
                EmbeddingBag.gatherRows(table: UnsafePointer(table.baseAddress!), dim: D, rowIndices: r.baseAddress!,
                                        count: n, out: out.baseAddress!)
            }
        }
        return EmbeddingBenchRow(kernel: "gatherRows (sequence \(length))", ids: n, bytes: bytes, milliseconds: ms, gbps: gb)
    }
}

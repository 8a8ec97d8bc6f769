import ArgumentParser
import Foundation
import Model
import Tensors

/// `strata bench embedding`: the embedding kernels of one step (Model's
/// `EmbeddingBag.poolForward` and `gatherRows`, `RowAggregator.aggregate`,
/// `RowWiseAdagrad.step`, `EmbeddingSGD.step`) in GB/s of bytes moved, beside a
/// plain copy of a large buffer measured in the same run: the machine's
/// streaming memory bandwidth for one core.
struct BenchEmbedding: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embedding",
        abstract: "Pooled and sequence lookups and row-wise updates, in GB/s, against memory bandwidth.",
        discussion: """
        The tables (default: the Kaggle shape, 26 x 100,000 rows of 16 floats, \
        166 MB) are one allocation; ids are uniform over all rows, so almost every \
        row read misses the caches, as in training. Bytes moved count every byte a \
        kernel reads or writes: table rows, ids, offsets, outputs, gradients and \
        accumulators (a row update reads and writes its row). The copy baseline is \
        memcpy of --copy-mib MiB, counted as read plus write. Medians over --reps \
        with the range; '% copy' = median kernel GB/s / median copy GB/s.
        """
    )

    @Option(help: "Tables.") var tables = 26
    @Option(help: "Rows per table.") var rows = 100_000
    @Option(help: "Embedding dimension.") var dim = 16
    @Option(help: "Samples per batch.") var batch = 2048
    @Option(name: .customLong("bag-sizes"), help: "Ids per pooled bag, comma separated (one row each).") var bagSizes = "1,10"
    @Option(name: .customLong("sequence-length"), help: "Ids per sample of the sequence (unpooled) lookup.") var sequenceLength = 20
    @Option(name: .customLong("copy-mib"), help: "Size of the copied buffer, MiB.") var copyMiB = 256
    @Option(help: "Timed repetitions.") var reps = 15
    @Option(help: "Untimed repetitions first.") var warmup = 2
    @Option(help: "Write the report as JSON to FILE ('-': standard output, instead of the table).") var json: String?

    func validate() throws {
        guard tables > 0, rows > 0, dim > 0, batch > 0, sequenceLength > 0, copyMiB > 0, reps > 0, warmup >= 0 else {
            throw ValidationError("sizes and --reps must be positive, --warmup not negative")
        }
        guard let b = BenchGemm.ints(bagSizes), !b.isEmpty, b.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--bag-sizes must be positive integers, got '\(bagSizes)'")
        }
        guard tables * rows <= Int(Int32.max) else { throw ValidationError("tables x rows must fit in Int32") }
    }

    func run() throws {
        let bench = EmbeddingBenchmark(tables: tables, rows: rows, dim: dim, batch: batch)
        var results: [EmbeddingBenchRow] = []
        let copy = bench.copy(mib: copyMiB, reps: reps, warmup: warmup)
        results.append(copy)
        for bag in BenchGemm.ints(bagSizes)! {
            results += bench.pooled(bagSize: bag, reps: reps, warmup: warmup)
        }
        results.append(bench.sequence(length: sequenceLength, reps: reps, warmup: warmup))
        for i in results.indices { results[i].percentOfCopy = 100 * results[i].gbps.median / copy.gbps.median }
        let report = EmbeddingBenchReport(machine: .current(blasThreads: BLAS.threads), tables: tables, rows: rows, dim: dim,
                                          batch: batch, reps: reps, warmup: warmup, rows_: results)
        if let json {
            try BenchFormat.writeJSON(report, to: json)
            if json == "-" { return }
        }
        print("tables \(tables) x \(rows) rows x dim \(dim) (\(BenchFormat.fixed(Double(tables * rows * dim * 4) / 1e6, 0)) MB), batch \(batch)")
        print(BenchFormat.table(
            ["kernel", "ids", "MB moved", "ms (min-max)", "GB/s (min-max)", "% copy"],
            results.map { r in
                [r.kernel, "\(r.ids)", BenchFormat.fixed(Double(r.bytes) / 1e6, 2), r.milliseconds.text(3),
                 r.gbps.text(2), BenchFormat.fixed(r.percentOfCopy, 0)]
            }))
    }
}

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

final class EmbeddingBenchmark {
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

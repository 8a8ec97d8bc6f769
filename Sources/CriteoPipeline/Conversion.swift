import Collectives
import Data
import Foundation

/// How categorical values become rows.
public enum CriteoIDs: Sendable, Equatable {
    /// The 32-bit hash modulo each table's rows (one pass).
    case hash(tableRows: [Int])
    /// A vocabulary counted in a first pass: values seen at least `threshold`
    /// times get their own row, rarer ones share row 0.
    case vocabulary(threshold: Int)
}

/// What one conversion did, the same on every rank.
public struct CriteoConversionReport: Sendable, Codable {
    public var ranks: Int
    public var inputs: Int
    /// Data lines read (all ranks), bad ones included.
    public var lines: Int
    public var samples: Int
    public var badLines: Int
    /// Bytes read from the input files (compressed bytes for gzip), all ranks.
    public var inputBytes: Int
    public var outputBytes: Int
    /// Wall seconds of the counting pass (0 when ids are hashed) and the writing pass.
    public var countSeconds: Double
    public var writeSeconds: Double
    public var tableRows: [Int]
    public var shards: [String]

    /// Data lines per second per rank, over both passes.
    public var linesPerSecondPerRank: Double {
        Double(lines) / max(countSeconds + writeSeconds, 1e-9) / Double(ranks)
    }
}

/// Criteo day files (gzip or plain, TSV or the CSV sample) as a folder of
/// shards over MPI ranks. With at least as many inputs as ranks, rank r
/// converts inputs r, r+R, ...: one shard per input, the same bytes whatever
/// the world size. With fewer, every rank reads every input and keeps its
/// share of the lines (data line i to rank i % R): part r of each input, a
/// day being its parts one after another. A vocabulary is counted in the same
/// shares, merged across ranks (equal to one rank's) and saved beside the shards.
///
/// ```
/// // mpirun -np 4 strata data convert day_{0..23}.gz --out shards --threshold 3
/// let report = try CriteoConversion(inputs: files, output: "shards", ids: .vocabulary(threshold: 3))
///     .run(comm: world) { print($0) }
/// ```
public struct CriteoConversion: Sendable {
    public var inputs: [String]
    public var output: String
    public var ids: CriteoIDs
    public var skipBadLines: Bool
    /// Seconds between progress lines on rank 0.
    public var progressEvery: Double

    public init(inputs: [String], output: String, ids: CriteoIDs, skipBadLines: Bool = false, progressEvery: Double = 2) {
        self.inputs = inputs; self.output = output; self.ids = ids
        self.skipBadLines = skipBadLines; self.progressEvery = progressEvery
    }

    /// One rank's work on one input.
    struct Share: Equatable {
        var input: Int
        var part: Int
        var parts: Int
    }

    static func shares(inputs: Int, rank r: Int, size R: Int) -> [Share] {
        inputs >= R ? stride(from: r, to: inputs, by: R).map { Share(input: $0, part: 0, parts: 1) }
                    : (0..<inputs).map { Share(input: $0, part: r, parts: R) }
    }

    static func shardName(_ s: Share) -> String {
        s.parts == 1 ? String(format: "day-%05d.shard", s.input) : String(format: "day-%05d.part-%03d-of-%03d.shard", s.input, s.part, s.parts)
    }

    public func run(comm: Communicator, progress: @escaping (String) -> Void = { _ in }) throws -> CriteoConversionReport {
        try agreed(comm) {
            guard !inputs.isEmpty else { throw DataError.invalidConfig("no input files") }
            if inputs == ["-"] {
                guard comm.size == 1 else { throw DataError.invalidConfig("standard input converts on one rank (mpirun hands stdin to rank 0 only)") }
                if case .vocabulary = ids { throw DataError.invalidConfig("a vocabulary needs two passes over the input; standard input can be read once (use hashed ids, or save it to a file)") }
            }
            if case let .vocabulary(t) = ids, t < 1 { throw DataError.invalidConfig("frequency threshold \(t) must be at least 1") }
            if case let .hash(rows) = ids, rows.count != 26 || !rows.allSatisfy({ $0 > 0 && $0 <= Int(Int32.max) }) {
                throw DataError.invalidConfig("hashed ids need 26 table sizes in 1...\(Int32.max)")
            }
            if comm.rank == 0 {
                do { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) } catch {
                    throw DataError.unreadable(file: output, reason: "cannot create the output folder: \(error.localizedDescription)")
                }
            }
        }
        comm.barrier(.control)
        let mine = Self.shares(inputs: inputs.count, rank: comm.rank, size: comm.size)
        let total = mine.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: inputs[$1.input])[.size] as? Int) ?? 0) }

        // Pass 1: the vocabulary.
        var vocabulary: CriteoVocabulary?
        var countSeconds = 0.0
        if case let .vocabulary(threshold) = ids {
            let t0 = Date()
            let counts = try agreed(comm) { () -> CriteoCounts in
                var meter = Meter(label: "count", totalBytes: total, every: progressEvery, rank: comm.rank, report: progress)
                var counts = CriteoCounts()
                for s in mine { _ = try scan(s, meter: &meter) { counts.add($0) } }
                return counts
            }
            let v = CriteoVocabulary(threshold: threshold, values: counts.frequent(threshold: threshold, over: comm))
            countSeconds = Date().timeIntervalSince(t0)
            try agreed(comm) { if comm.rank == 0 { try v.write(to: output + "/" + CriteoVocabulary.fileName) } }
            vocabulary = v
        }
        let tableRows: [Int]
        switch ids {
        case let .hash(rows): tableRows = rows
        case .vocabulary: tableRows = vocabulary!.tableRows
        }

        // Pass 2: the shards.
        let t1 = Date()
        let local = try agreed(comm) { () -> [Int64] in
            var meter = Meter(label: comm.size > 1 || vocabulary != nil ? "write" : "convert", totalBytes: total,
                              every: progressEvery, rank: comm.rank, report: progress)
            var lines = 0, samples = 0, bad = 0, bytes = 0, out = 0
            var row = [Int32](repeating: -1, count: 26)
            for s in mine {
                let writer = try CriteoShardWriter(path: output + "/" + Self.shardName(s), tableRows: tableRows,
                                                   source: URL(fileURLWithPath: inputs[s.input]).lastPathComponent,
                                                   day: s.input, part: s.part, parts: s.parts)
                let r = try scan(s, meter: &meter) { f in
                    for k in 0..<26 {
                        if !f.present[k] { row[k] = -1; continue }
                        switch ids {
                        case .hash: row[k] = Int32(UInt64(f.hashes[k]) % UInt64(tableRows[k]))
                        case .vocabulary: row[k] = vocabulary!.row(column: k, hash: f.hashes[k])
                        }
                    }
                    try f.dense.withUnsafeBufferPointer { d in try row.withUnsafeBufferPointer { try writer.append(label: f.label, dense: d, ids: $0) } }
                }
                try writer.finish()
                lines += r.lines; bad += r.bad; bytes += r.bytes
                samples += writer.samples
                out += CriteoShard.payloadOffset + writer.samples * CriteoShard.recordBytes
            }
            return [Int64(lines), Int64(samples), Int64(bad), Int64(bytes), Int64(out)]
        }
        let sums = comm.allreduce(.control, local)
        let writeSeconds = Date().timeIntervalSince(t1)

        // The manifest: every shard's header, in day then part order.
        let names = (0..<inputs.count).flatMap { i in
            inputs.count >= comm.size ? [Self.shardName(Share(input: i, part: 0, parts: 1))]
                : (0..<comm.size).map { Self.shardName(Share(input: i, part: $0, parts: comm.size)) }
        }
        try agreed(comm) {
            guard comm.rank == 0 else { return }
            let entries = try names.map { CriteoShardManifest.Entry(file: $0, header: try CriteoShardFile(path: output + "/" + $0, verify: false).header) }
            try CriteoShardManifest(tableRows: tableRows, ids: vocabulary == nil ? "hash" : "vocabulary",
                                    frequencyThreshold: vocabulary?.threshold ?? 0,
                                    vocabulary: vocabulary == nil ? nil : CriteoVocabulary.fileName,
                                    shards: entries, badLines: Int(sums[2])).write(to: output)
        }
        return CriteoConversionReport(ranks: comm.size, inputs: inputs.count, lines: Int(sums[0]), samples: Int(sums[1]),
                                      badLines: Int(sums[2]), inputBytes: Int(sums[3]), outputBytes: Int(sums[4]),
                                      countSeconds: countSeconds, writeSeconds: writeSeconds, tableRows: tableRows, shards: names)
    }

    /// Reads one share of an input, handing each of its good samples to `body`.
    func scan(_ s: Share, meter: inout Meter, _ body: (CriteoFields) throws -> Void) throws -> (lines: Int, bad: Int, bytes: Int) {
        let stream = try openStream(inputs[s.input])
        let lines = LineSplitter(stream)
        var fields = CriteoFields()
        var ordinal = 0, bad = 0, mineCount = 0
        while let line = try lines.next() {
            if line.isEmpty { continue }
            if lines.lineNumber == 1 && CriteoFields.isHeader(line) { continue }
            defer { ordinal += 1 }
            if ordinal % s.parts != s.part { continue }
            mineCount += 1
            if let why = fields.parse(line) {
                if skipBadLines { bad += 1; continue }
                throw DataError.malformedLine(file: stream.name, line: lines.lineNumber, reason: why)
            }
            try body(fields)
            if mineCount & 0xFFFF == 0 { meter.tick(lines: mineCount, bytes: stream.consumed) }
        }
        if ordinal == 0 { throw DataError.emptyFile(file: stream.name) }
        meter.finish(lines: mineCount, bytes: stream.consumed)
        return (mineCount, bad, stream.consumed)
    }
}

/// Rank 0's progress line: lines/s, MB/s of input, and the time left from
/// the bytes of its share still unread.
struct Meter {
    let label: String
    let totalBytes: Int
    let every: Double
    let rank: Int
    let report: (String) -> Void
    let start = Date()
    var last = Date()
    var doneLines = 0, doneBytes = 0

    init(label: String, totalBytes: Int, every: Double, rank: Int, report: @escaping (String) -> Void) {
        self.label = label; self.totalBytes = totalBytes; self.every = every; self.rank = rank; self.report = report
    }

    mutating func tick(lines: Int, bytes: Int) {
        guard rank == 0, Date().timeIntervalSince(last) >= every else { return }
        last = Date()
        let t = max(Date().timeIntervalSince(start), 1e-9), l = doneLines + lines, b = doneBytes + bytes
        let rate = Double(b) / t
        let eta = totalBytes > b && rate > 0 ? String(format: ", ETA %.0f s", Double(totalBytes - b) / rate) : ""
        report(String(format: "%@: %d lines, %.0f lines/s, %.1f MB/s%@", label, l, Double(l) / t, rate / 1e6, eta))
    }

    mutating func finish(lines: Int, bytes: Int) { doneLines += lines; doneBytes += bytes }
}

import Foundation
import Sparse

/// Options of the Criteo reader.
public struct CriteoConfig: Sendable, Codable, Equatable {
    /// Rows of tables C1...C26: a hashed category `h` maps to row `h % rows`.
    public var tableRows: [Int]
    /// Count and skip malformed lines instead of throwing.
    public var skipBadLines: Bool = false
    /// Every `evalEvery`-th data line (1-based ordinal divisible by it) is eval;
    /// 0 puts every line in train.
    public var evalEvery: Int = 0

    public init(rowsPerTable: Int = 1_000_000, skipBadLines: Bool = false, evalEvery: Int = 0) {
        tableRows = Array(repeating: rowsPerTable, count: 26)
        self.skipBadLines = skipBadLines
        self.evalEvery = evalEvery
    }

    public init(tableRows: [Int], skipBadLines: Bool = false, evalEvery: Int = 0) {
        self.tableRows = tableRows
        self.skipBadLines = skipBadLines
        self.evalEvery = evalEvery
    }

    /// 13 dense features I1...I13 and 26 pooled item-side features C1...C26 on
    /// tables C1...C26. No user-side features (the user-side IKJT has zero keys).
    public var schema: DatasetSchema {
        DatasetSchema(denseCount: 13,
                      tables: (1...26).map { TableSpec(name: "C\($0)", rows: tableRows[$0 - 1]) },
                      features: (1...26).map { FeatureSpec(name: "C\($0)", table: "C\($0)", kind: .pooled, userSide: false) })
    }
}

/// Streams batches from a Criteo file: the real tab-separated format
/// `label<TAB>I1..I13<TAB>C1..C26` or the CSV sample `label,I1..I13,C1..C26` with
/// a header line (the separator is detected per line).
///
/// ```
/// // 1<TAB>5<TAB>...<TAB>05db9164<TAB><TAB>...
/// //   label 1; dense[0] = log(5 + 1); missing I = 0; negative I = 0
/// //   C1 id = 0x05db9164 % rows; a missing C is an empty bag
/// var r = try CriteoReader(path: p, config: CriteoConfig(rowsPerTable: 1000), split: .train)
/// while let b = try r.next(maxCount: 4096) { ... }
/// ```
public struct CriteoReader {
    public let config: CriteoConfig
    public let split: Split
    public let path: String
    /// Malformed lines skipped so far (with `skipBadLines`).
    public private(set) var badLines = 0
    /// Samples returned so far.
    public private(set) var samplesRead = 0
    /// Whether line 1 was a header (its first field not a number); nil before it is read.
    public private(set) var hadHeader: Bool?
    private let lines: LineReader
    private var dataLines = 0

    public init(path: String, config: CriteoConfig, split: Split = .train) throws {
        guard config.tableRows.count == 26, config.tableRows.allSatisfy({ $0 > 0 }) else {
            throw DataError.invalidConfig("Criteo needs 26 positive table sizes, got \(config.tableRows)")
        }
        self.path = path; self.config = config; self.split = split
        lines = try LineReader(path: path)
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if size == 0 { throw DataError.emptyFile(file: path) }
    }

    /// Up to `maxCount` samples of this reader's split; nil at the end.
    public mutating func next(maxCount: Int) throws -> Batch? {
        var labels: [Float] = [], dense: [Float] = []
        var bags = [[Int64]](repeating: [], count: 26)
        var lengths = [[Int32]](repeating: [], count: 26)
        var n = 0
        while n < maxCount, let line = try lines.next() {
            let lineNo = lines.lineNumber
            if line.isEmpty { continue }
            if lineNo == 1 {   // a header line ("label,I1,...") has a first field that is not a number
                hadHeader = Double(line.prefix { $0 != "\t" && $0 != "," }) == nil
                if hadHeader == true { continue }
            }
            dataLines += 1
            let isEval = config.evalEvery > 0 && dataLines % config.evalEvery == 0
            if isEval != (split == .eval) { continue }
            do {
                let row = try Self.parse(line, rows: config.tableRows)
                labels.append(row.label)
                dense.append(contentsOf: row.dense)
                for k in 0..<26 {
                    if let id = row.ids[k] { bags[k].append(id); lengths[k].append(1) } else { lengths[k].append(0) }
                }
                n += 1
            } catch let ParseFailure.bad(reason) {
                if config.skipBadLines { badLines += 1; continue }
                throw DataError.malformedLine(file: path, line: lineNo, reason: reason)
            }
        }
        if dataLines == 0 { throw DataError.emptyFile(file: path) }
        guard n > 0 else { return nil }
        let item = try KeyedJaggedTensor(keys: config.schema.itemSideKeys, stride: n,
                                         lengths: lengths.flatMap { $0 }, values: bags.flatMap { $0 })
        let b = Batch(size: n, labels: labels, dense: dense, itemSide: item,
                      userSide: .identity(.empty(stride: n)), sampleIndex: samplesRead)
        samplesRead += n
        return b
    }

    /// Every sample of `split` in one batch, and the number of skipped bad lines.
    public static func readAll(path: String, config: CriteoConfig, split: Split = .train) throws -> (batch: Batch, badLines: Int) {
        var r = try CriteoReader(path: path, config: config, split: split)
        var parts: [Batch] = []
        while let b = try r.next(maxCount: 1 << 16) { parts.append(b) }
        if parts.isEmpty {
            return (Batch(size: 0, labels: [], dense: [], itemSide: try KeyedJaggedTensor(keys: config.schema.itemSideKeys, stride: 0, lengths: [], values: []),
                          userSide: .identity(.empty(stride: 0)), sampleIndex: 0), r.badLines)
        }
        return (try Batch.concatenating(parts), r.badLines)
    }

    enum ParseFailure: Error { case bad(String) }

    struct Row { var label: Float; var dense: [Float]; var ids: [Int64?] }

    static func parse(_ line: String, rows: [Int]) throws -> Row {
        let sep: Character = line.contains("\t") ? "\t" : ","
        let fields = line.split(separator: sep, omittingEmptySubsequences: false)
        guard fields.count == 40 else {
            throw ParseFailure.bad("expected 40 fields (label, I1..I13, C1..C26), found \(fields.count)")
        }
        let label: Float
        switch fields[0] {
        case "0", "0.0": label = 0
        case "1", "1.0": label = 1
        default: throw ParseFailure.bad("label '\(fields[0])' is not 0 or 1")
        }
        var dense = [Float](repeating: 0, count: 13)
        for j in 0..<13 {
            let f = fields[1 + j]
            if f.isEmpty { continue }
            guard let v = Double(f), v.isFinite else { throw ParseFailure.bad("I\(j + 1) '\(f)' is not a number") }
            dense[j] = v > 0 ? Float(log(v + 1)) : 0
        }
        var ids = [Int64?](repeating: nil, count: 26)
        for k in 0..<26 {
            let f = fields[14 + k]
            if f.isEmpty { continue }
            guard f.utf8.count <= 8, let h = UInt32(f, radix: 16) else {
                throw ParseFailure.bad("C\(k + 1) '\(f)' is not a 32-bit hex hash")
            }
            ids[k] = Int64(UInt64(h) % UInt64(rows[k]))
        }
        return Row(label: label, dense: dense, ids: ids)
    }
}

/// A Criteo file loaded into memory: a random-access `BatchSource` for both splits.
public struct CriteoDataset: BatchSource {
    public let schema: DatasetSchema
    public let train: Batch
    public let eval: Batch
    /// Malformed lines skipped while loading (both splits).
    public let badLines: Int
    /// What the reader noticed (a header line, or none), for the run's log.
    public let notes: [String]

    public init(path: String, config: CriteoConfig) throws {
        schema = config.schema
        let t = try CriteoReader.readAll(path: path, config: config, split: .train)
        let e = try CriteoReader.readAll(path: path, config: config, split: .eval)
        train = t.batch; eval = e.batch
        badLines = t.badLines + e.badLines
        let first = try LineReader(path: path).next() ?? ""
        notes = [Double(first.prefix { $0 != "\t" && $0 != "," }) == nil ? "\(path): header line skipped"
                 : "\(path): no header line; line 1 is read as data"]
            + (badLines > 0 ? ["\(path): skipped \(badLines) malformed lines (data.skip_bad_lines)"] : [])
    }

    public func sampleCount(_ split: Split) -> Int { split == .train ? train.size : eval.size }

    public func batch(globalStart: Int, count: Int, split: Split, dedup: Bool) -> Batch {
        let all = split == .train ? train : eval
        let lo = max(0, min(globalStart, all.size)), hi = max(lo, min(globalStart + count, all.size))
        let d = schema.denseCount
        return Batch(size: hi - lo, labels: Array(all.labels[lo..<hi]), dense: Array(all.dense[(lo * d)..<(hi * d)]),
                     itemSide: all.itemSide.slicing(samples: lo..<hi),
                     userSide: .identity(.empty(stride: hi - lo)), sampleIndex: lo)
    }

    /// `batch(...)` written into `b`'s storage: once grown, no allocation.
    public func fill(_ b: inout Batch, globalStart: Int, count: Int, split: Split, dedup: Bool) {
        let all = split == .train ? train : eval
        let lo = max(0, min(globalStart, all.size)), hi = max(lo, min(globalStart + count, all.size))
        let d = schema.denseCount
        Batch.refill(&b, size: hi - lo, sampleIndex: lo, itemKeys: all.itemSide.keys, userKeys: []) { labels, dense, item, user in
            labels.append(contentsOf: all.labels[lo..<hi])
            dense.append(contentsOf: all.dense[(lo * d)..<(hi * d)])
            item.refill(samples: lo..<hi, of: all.itemSide)
            // No user-side features: U = B with the identity inverse.
            try! user.refill(uniqueCount: hi - lo) { _, _, inverse in
                for j in 0..<(hi - lo) { inverse.append(Int32(j)) }
            }
        }
    }
}

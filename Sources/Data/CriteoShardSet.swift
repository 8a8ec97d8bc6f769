import Foundation
import Sparse

/// `manifest.json` of a converted Criteo folder: what `strata data convert`
/// wrote, in the order training reads it.
public struct CriteoShardManifest: Sendable, Codable, Equatable {
    public struct Entry: Sendable, Codable, Equatable {
        public var file: String
        public var day: Int
        public var part: Int
        public var parts: Int
        public var samples: Int
        public var checksum: String
        public init(file: String, header: CriteoShardHeader) {
            self.file = file; day = header.day; part = header.part; parts = header.parts
            samples = header.samples; checksum = header.checksum
        }
    }
    public var version = 1
    public var tableRows: [Int]
    /// How ids were made: `hash` (the hex value modulo the rows) or `vocabulary`.
    public var ids: String
    /// Vocabulary: values seen fewer times share row 0.
    public var frequencyThreshold: Int
    /// The vocabulary file beside the shards (nil when ids are hashed).
    public var vocabulary: String?
    /// Days in input order; each day's parts in part order.
    public var shards: [Entry]
    public var badLines: Int

    public init(tableRows: [Int], ids: String, frequencyThreshold: Int, vocabulary: String?, shards: [Entry], badLines: Int) {
        self.tableRows = tableRows; self.ids = ids; self.frequencyThreshold = frequencyThreshold
        self.vocabulary = vocabulary; self.shards = shards; self.badLines = badLines
    }

    public static let fileName = "manifest.json"

    public func write(to directory: String) throws {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted]
        e.keyEncodingStrategy = .convertToSnakeCase
        let path = directory + "/" + Self.fileName, tmp = path + ".tmp"
        do {
            try e.encode(self).write(to: URL(fileURLWithPath: tmp))
            guard rename(tmp, path) == 0 else { throw DataError.unreadable(file: path, reason: "rename failed, errno \(errno)") }
        } catch let error as DataError { throw error } catch {
            throw DataError.unreadable(file: path, reason: "write failed: \(error)")
        }
    }

    public static func read(directory: String) throws -> CriteoShardManifest {
        let path = directory + "/" + fileName
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError.unreadable(file: path, reason: "no manifest (is this a folder written by `strata data convert` with input files?)")
        }
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        do { return try d.decode(CriteoShardManifest.self, from: data) } catch {
            throw DataError.corrupted(file: path, reason: "\(error)")
        }
    }
}

/// Which half of the last day is the eval split (the other is kept unseen).
public enum CriteoHeldOutHalf: String, Sendable, Codable, CaseIterable {
    case validation, test
}

/// A converted Criteo folder as a `BatchSource`, read through memory maps: the
/// reference split, every day but the last trains, the last day's first half is
/// validation and its second half test (dlrm's and TorchRec's terabyte setup).
/// A day converted in parts (lines i % P == p) is its parts one after another.
///
/// ```
/// let set = try CriteoShardSet(directory: "criteo-shards", eval: .validation)
/// set.sampleCount(.train)     // days 0 ... D-2
/// set.sampleCount(.eval)      // first half of day D-1
/// ```
public struct CriteoShardSet: FillingBatchSource {
    public let manifest: CriteoShardManifest
    public let schema: DatasetSchema
    let shards: [CriteoShardFile]
    /// Per split: (shard, first record, count) runs, and each run's first global index.
    let runs: [Split: [(shard: Int, first: Int, count: Int)]]
    let starts: [Split: [Int]]

    public init(directory: String, eval half: CriteoHeldOutHalf = .validation, verify: Bool = true) throws {
        manifest = try CriteoShardManifest.read(directory: directory)
        let mpath = directory + "/" + CriteoShardManifest.fileName
        guard manifest.tableRows.count == 26 else {
            throw DataError.corrupted(file: mpath, reason: "table_rows has \(manifest.tableRows.count) sizes, not 26")
        }
        schema = CriteoConfig(tableRows: manifest.tableRows).schema
        var files: [CriteoShardFile] = []
        for e in manifest.shards {
            let f = try CriteoShardFile(path: directory + "/" + e.file, verify: verify)
            guard f.header.tableRows == manifest.tableRows, f.header.samples == e.samples, f.header.checksum == e.checksum,
                  f.header.day == e.day, f.header.part == e.part else {
                throw DataError.corrupted(file: f.path, reason: "header disagrees with \(mpath) (a shard from another conversion?)")
            }
            files.append(f)
        }
        shards = files
        let days = Set(manifest.shards.map(\.day)).sorted()
        guard days.count >= 2, let last = days.last else {
            throw DataError.invalidConfig("\(mpath): \(days.count) day(s); the split needs at least 2 (every day but the last trains, the last is held out)")
        }
        var train: [(Int, Int, Int)] = [], held: [(Int, Int, Int)] = []
        for (s, e) in manifest.shards.enumerated() where e.samples > 0 {
            if e.day == last { held.append((s, 0, e.samples)) } else { train.append((s, 0, e.samples)) }
        }
        // Cut the last day at half its samples, counted in reading order.
        let total = held.reduce(0) { $0 + $1.2 }, cut = total / 2
        var seen = 0, first: [(Int, Int, Int)] = [], second: [(Int, Int, Int)] = []
        for (s, _, n) in held {
            let a = max(0, min(n, cut - seen))
            if a > 0 { first.append((s, 0, a)) }
            if a < n { second.append((s, a, n - a)) }
            seen += n
        }
        let evalRuns = half == .validation ? first : second
        let r: [Split: [(shard: Int, first: Int, count: Int)]] = [.train: train.map { ($0.0, $0.1, $0.2) },
                                                                  .eval: evalRuns.map { ($0.0, $0.1, $0.2) }]
        runs = r
        starts = r.mapValues { list in
            var acc = 0
            return list.map { run in defer { acc += run.count }; return acc }
        }
    }

    public func sampleCount(_ split: Split) -> Int {
        guard let last = runs[split]?.last, let s = starts[split]?.last else { return 0 }
        return s + last.count
    }

    /// Samples `globalStart ..< globalStart + count` of `split`, copied out of
    /// the maps into `b`'s storage (once grown, no allocation).
    public func fill(_ b: inout Batch, globalStart: Int, count: Int, split: Split, dedup: Bool) {
        let n = sampleCount(split)
        let lo = max(0, min(globalStart, n)), hi = max(lo, min(globalStart + count, n))
        let list = runs[split] ?? [], firsts = starts[split] ?? []
        // The run holding `lo`: the last whose start is at or before it.
        var lower = 0, upper = firsts.count
        while upper - lower > 1 {
            let mid = (lower + upper) / 2
            if firsts[mid] <= lo { lower = mid } else { upper = mid }
        }
        let shards = self.shards
        // Visits (shard, record) for every sample of the slice in order.
        func each(_ body: (CriteoShardFile, Int) -> Void) {
            var r = lower, g = lo
            while g < hi {
                let run = list[r], off = g - firsts[r], take = min(run.count - off, hi - g)
                let f = shards[run.shard]
                for i in 0..<take { body(f, run.first + off + i) }
                g += take; r += 1
            }
        }
        Self.fill(&b, count: hi - lo, sampleIndex: lo, keys: schema.itemSideKeys, each)
    }

    /// `count` records, visited in order by `each`, as a batch in `b`'s storage.
    static func fill(_ b: inout Batch, count n: Int, sampleIndex: Int, keys: [String],
                     _ each: ((CriteoShardFile, Int) -> Void) -> Void) {
        Batch.refill(&b, size: n, sampleIndex: sampleIndex, itemKeys: keys, userKeys: []) { labels, dense, item, user in
            each { f, i in
                labels.append(f.label(i))
                for j in 0..<CriteoShard.denseCount { dense.append(f.dense(i, j)) }
            }
            // Cannot fail: every length is 0 or 1 and the values follow them.
            try! item.refill(stride: n) { lengths, values in
                for k in 0..<CriteoShard.sparseCount {
                    each { f, i in lengths.append(f.id(i, k) >= 0 ? 1 : 0) }
                }
                for k in 0..<CriteoShard.sparseCount {
                    each { f, i in
                        let id = f.id(i, k)
                        if id >= 0 { values.append(Int64(id)) }
                    }
                }
            }
            // No user-side features: U = B with the identity inverse.
            try! user.refill(uniqueCount: n) { _, _, inverse in
                for j in 0..<n { inverse.append(Int32(j)) }
            }
        }
    }
}

extension CriteoShardSet {
    /// Every record of one shard as a batch (for inspection and tests).
    public static func records(of shard: CriteoShardFile) -> Batch {
        var b = Batch.empty
        fill(&b, count: shard.sampleCount, sampleIndex: 0, keys: CriteoConfig(tableRows: shard.header.tableRows).schema.itemSideKeys) { body in
            for i in 0..<shard.sampleCount { body(shard, i) }
        }
        return b
    }
}

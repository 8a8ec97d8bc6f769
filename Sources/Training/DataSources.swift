import Data
import Sharding

/// The configured data as a random-access `BatchSource`, plus what the model
/// needs to size itself.
public struct LoadedData: Sendable {
    public var source: any BatchSource
    /// Longest sequence any sample can carry (sizes the model's buffers).
    public var maxSequenceLength: Int
    /// Malformed lines skipped while loading (Criteo with skip_bad_lines).
    public var badLines: Int
    /// The planted model's eval metrics (synthetic data only).
    public var planted: BinaryMetrics?
    /// What the readers noticed (a header line or none, lines skipped), for the log.
    public var notes: [String] = []
}

/// The trainer's adapter over the catalogue (`DataSetKind`): every kind
/// becomes a `BatchSource` (`strata train`, `plan`, `sweep` and DataPerf's
/// frozen trainer read their data here).
public enum DataSources {
    /// The kinds `data.source` takes: all of them, in the catalogue's order.
    public static let dataSets = DataSetAdapter(command: "strata train", accepts: DataSetKind.allCases)

    public static func load(_ config: DataConfig, seed: UInt64) throws -> LoadedData {
        func path() throws -> String {
            guard let p = config.path else { throw ConfigError("data.path is required for data.source '\(config.source.rawValue)'") }
            return p
        }
        switch config.source {
        case .synthetic:
            let d = SyntheticDataset(config.synthetic, itemShape: try config.synthetic.itemPopularity.map(itemShape))
            return LoadedData(source: d, maxSequenceLength: config.synthetic.historyMaxLength, badLines: 0,
                              planted: d.planted(split: .eval))
        case .criteo:
            let c = CriteoConfig(rowsPerTable: config.criteoRowsPerTable, skipBadLines: config.skipBadLines,
                                 evalEvery: config.criteoEvalEvery)
            let d = try CriteoDataset(path: try path(), config: c)
            return LoadedData(source: d, maxSequenceLength: 0, badLines: d.badLines, planted: nil, notes: d.notes)
        case .movielens:
            let d = try MovieLensDataset(directory: try path(), config: config.movielens, skipBadLines: config.skipBadLines)
            return LoadedData(source: d, maxSequenceLength: config.movielens.historyLength, badLines: d.badLines, planted: nil,
                              notes: d.notes)
        case .criteoShards:
            let d = try CriteoShardSet(directory: try path(), eval: config.criteoHeldOut)
            let notes = ["\(try path()): \(d.manifest.shards.count) shards, ids by \(d.manifest.ids), "
                         + "\(d.sampleCount(.train)) train samples, \(d.sampleCount(.eval)) \(config.criteoHeldOut.rawValue) samples"]
            return LoadedData(source: d, maxSequenceLength: 0, badLines: d.manifest.badLines, planted: nil, notes: notes)
        case .binary:
            let train = try BinaryDataset(path: try path())
            let eval = try config.evalPath.map { try BinaryDataset(path: $0) }
            let pair = SplitPair(train: train, eval: eval)
            return LoadedData(source: pair, maxSequenceLength: longestSequence(pair), badLines: 0, planted: nil)
        }
    }
}

/// `TRACE:TABLE`'s per-row reads (`data.synthetic.item_popularity`).
func itemShape(_ spec: String) throws -> [Int] {
    guard let colon = spec.lastIndex(of: ":") else {
        throw ConfigError("data.synthetic.item_popularity '\(spec)': expected TRACE:TABLE")
    }
    let path = String(spec[..<colon]), name = String(spec[spec.index(after: colon)...])
    guard let t = try AccessTrace.read(path).tables.first(where: { $0.name == name }), !t.records.isEmpty else {
        throw ConfigError("data.synthetic.item_popularity: \(path) has no reads of a table '\(name)'")
    }
    return t.records.map(\.count)
}

/// Scans every sample once for the longest sequence feature.
func longestSequence(_ source: some BatchSource) -> Int {
    let keys = source.schema.features.filter { $0.kind == .sequence }.map(\.name)
    var longest = 0
    for split in [Split.train, .eval] where source.sampleCount(split) > 0 {
        let b = source.all(split)
        for key in keys {
            let lengths = b.userSide.unique.lengths(forKey: key) ?? b.itemSide.lengths(forKey: key) ?? []
            longest = max(longest, Int(lengths.max() ?? 0))
        }
    }
    return longest
}

/// Two single-split binary files served as one source.
struct SplitPair: BatchSource {
    var train: BinaryDataset
    var eval: BinaryDataset?
    var schema: DatasetSchema { train.schema }
    func sampleCount(_ split: Split) -> Int { split == .train ? train.sampleCount(.train) : eval?.sampleCount(.eval) ?? 0 }
    func batch(globalStart: Int, count: Int, split: Split, dedup: Bool) -> Batch {
        split == .train ? train.batch(globalStart: globalStart, count: count, split: .train, dedup: dedup)
            : eval!.batch(globalStart: globalStart, count: count, split: .eval, dedup: dedup)
    }
    func fill(_ batch: inout Batch, globalStart: Int, count: Int, split: Split, dedup: Bool) {
        if split == .train {
            train.fill(&batch, globalStart: globalStart, count: count, split: .train, dedup: dedup)
        } else {
            eval!.fill(&batch, globalStart: globalStart, count: count, split: .eval, dedup: dedup)
        }
    }
}

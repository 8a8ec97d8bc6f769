import Collectives
import Data
import Foundation
import Tensors

/// What `task make` is told (the CLI fills it from options).
public struct TaskRecipe: Sendable, Equatable {
    public var name: String
    public var track: DataPerfTrack
    /// One of `TaskMaker.dataSets`.
    public var dataset: DataSetKind
    /// MovieLens: the folder with ml-latest-small-*.csv.
    public var movielensDirectory: String?
    /// Synthetic: pool rows generated; MovieLens: the pool keeps whole users (in
    /// id order) while their training rows fit in this many.
    public var poolRows: Int = 10_000
    /// Synthetic eval rows (MovieLens: the kept users' eval ratings).
    public var evalRows: Int = 4_000
    public var dataSeed: UInt64 = 7
    public var seeds: [UInt64] = [1, 2, 3]
    /// Selection budgets, percent of the pool.
    public var budgetPercents: [Double] = [1, 5, 10]
    public var noise: NoiseKind = .random
    public var noiseFraction: Double = 0.2
    public var grid: [Double] = [0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]
    public var target: Double = 0.95
    public var training: FrozenTraining = .small

    public init(name: String, track: DataPerfTrack, dataset: DataSetKind) {
        self.name = name; self.track = track; self.dataset = dataset
    }
}

/// `task make`: the pool and eval files, the hidden flip list, the spec.
public enum TaskMaker {
    /// DataPerf's adapter over the catalogue: the kinds a task's pool is made
    /// from (`load`), in the order `--dataset`'s help lists them. MovieLens:
    /// ml-latest-small with the per-user time split (each user's last ratings
    /// are eval); synthetic: the seeded source, its planted model the labels.
    public static let dataSets = DataSetAdapter(command: "strata dataperf", accepts: [.movielens, .synthetic])

    public static func make(_ r: TaskRecipe, directory: String) throws -> DataPerfTask {
        guard r.poolRows >= 100 else { throw InputError("--pool-rows must be at least 100, got \(r.poolRows)") }
        guard !r.seeds.isEmpty else { throw InputError("--seeds must name at least one seed") }
        guard r.noiseFraction > 0, r.noiseFraction < 0.5 else { throw InputError("--noise-fraction must be in (0, 0.5), got \(r.noiseFraction)") }
        guard r.grid.allSatisfy({ $0 > 0 && $0 < 1 }), r.grid == r.grid.sorted() else {
            throw InputError("--grid must be increasing fractions in (0, 1), got \(r.grid)")
        }
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var (pool, eval) = try load(r)
        var task = DataPerfTask(format: DataPerfTask.currentFormat, name: r.name, version: "", track: r.track, dataset: r.dataset,
                                poolFile: "pool.strata", evalFile: "eval.strata", poolRows: pool.count, evalRows: eval.size,
                                poolHash: "", evalHash: "", seeds: r.seeds, training: r.training, budgets: [], noise: nil,
                                grid: [], target: r.target, truthFile: nil)
        switch r.track {
        case .selection:
            task.budgets = Array(Set(r.budgetPercents.map { max(1, Int((Double(pool.count) * $0 / 100).rounded())) })).sorted()
        case .debugging:
            let flips = LabelNoise.flips(pool, kind: r.noise, fraction: r.noiseFraction, seed: r.dataSeed)
            pool = PoolRows(schema: pool.schema, all: pool.gather(Array(0..<pool.count), flipping: Set(flips)))
            try fm.createDirectory(atPath: directory + "/truth", withIntermediateDirectories: true)
            try (flips.map(String.init).joined(separator: "\n") + "\n").write(toFile: directory + "/truth/flips.txt", atomically: true, encoding: .utf8)
            task.truthFile = "truth/flips.txt"
            task.noise = NoiseSpec(kind: r.noise, fraction: r.noiseFraction, flipped: flips.count)
            task.grid = r.grid
        }
        try pool.write(Array(0..<pool.count), split: .train, to: directory + "/pool.strata")
        try BinaryDataset.write(eval, schema: pool.schema, split: .eval, layout: .session, to: directory + "/eval.strata")
        task.poolHash = try BinaryDataset(path: directory + "/pool.strata").header.checksum
        task.evalHash = try BinaryDataset(path: directory + "/eval.strata").header.checksum
        task.version = task.computedVersion()
        try task.write(to: directory)
        return task
    }

    /// The pool (train split) and the eval split of the recipe's data set.
    static func load(_ r: TaskRecipe) throws -> (PoolRows, Batch) {
        switch r.dataset {
        case .synthetic:
            var c = SyntheticConfig()
            c.seed = r.dataSeed
            c.samples = r.poolRows
            c.evalSamples = r.evalRows
            c.denseCount = 4
            c.itemRows = 500
            c.userRows = 1_000
            c.extraTables = [TableSpec(name: "c0", rows: 100)]
            c.historyMaxLength = 10
            let d = SyntheticDataset(c)
            return (PoolRows(schema: d.schema, all: d.all(.train, dedup: false)), d.all(.eval, dedup: false))
        case .movielens:
            guard let dir = r.movielensDirectory else { throw InputError("--movielens is required for --dataset movielens") }
            var c = MovieLensConfig()
            c.historyLength = 20
            let d = try MovieLensDataset(directory: dir, config: c)
            let train = PoolRows(schema: d.schema, all: d.all(.train, dedup: false))
            let eval = PoolRows(schema: d.schema, all: d.all(.eval, dedup: false))
            // Whole users, in the data set's order, while their training rows fit.
            let trainUsers = train.users(), evalUsers = eval.users()
            var kept = Set<Int64>(), rows = 0, at = 0
            while at < trainUsers.count {
                var end = at
                while end < trainUsers.count, trainUsers[end] == trainUsers[at] { end += 1 }
                if rows + (end - at) > r.poolRows { break }
                kept.insert(trainUsers[at]); rows += end - at; at = end
            }
            let poolIds = (0..<train.count).filter { kept.contains(trainUsers[$0]) }
            let evalIds = (0..<eval.count).filter { kept.contains(evalUsers[$0]) }
            return (PoolRows(schema: d.schema, all: train.gather(poolIds)), eval.gather(evalIds))
        case .criteo, .binary, .criteoShards:
            // Refused when `--dataset` and task.json are decoded; a caller that sets it directly gets the same sentence.
            throw InputError(DataSetRefused(key: "--dataset", kind: r.dataset, adapter: dataSets).description)
        }
    }
}

/// Which pool rows a debugging task flips.
public enum LabelNoise {
    /// `random`: round(fraction * n) rows drawn uniformly. `feature`: the
    /// positives of the candidate items with the smallest seeded item hash are
    /// logged as negatives (whole items first, so the errors follow the item
    /// feature), round(fraction * n) of them or every positive if fewer.
    public static func flips(_ pool: PoolRows, kind: NoiseKind, fraction: Double, seed: UInt64) -> [Int] {
        let n = pool.count, k = Int((fraction * Double(n)).rounded())
        switch kind {
        case .random:
            var rng = StrataRNG(seed: seed ^ 0x5eed_f11b)
            var ids = Array(0..<n)
            for i in 0..<k { ids.swapAt(i, i + rng.nextIndex(below: n - i)) }
            return ids.prefix(k).sorted()
        case .feature:
            let items = pool.candidateItems()
            func itemHash(_ item: Int64) -> UInt64 { var g = StrataRNG(seed: UInt64(bitPattern: item) ^ seed); return g.next() }
            let positives = (0..<n).filter { pool.labels[$0] > 0.5 }
            let ordered = positives.map { (itemHash(items[$0]), $0) }.sorted { $0 < $1 }.map(\.1)
            return ordered.prefix(k).sorted()
        }
    }
}

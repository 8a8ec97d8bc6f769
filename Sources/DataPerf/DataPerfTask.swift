import Collectives
import Data
import Foundation
import Model
import Training

/// Which DataPerf track a task belongs to.
public enum DataPerfTrack: String, Sendable, Codable, CaseIterable {
    /// Submission: pool row ids (at most the budget); score: eval AUC / logloss of the frozen trainer.
    case selection
    /// Submission: the pool rows ranked most suspect first; score: the fraction
    /// that must be fixed to recover 95 % of the AUC gap (lower is better).
    case debugging
}

/// How a debugging task's labels were corrupted.
public enum NoiseKind: String, Sendable, Codable, CaseIterable {
    /// Uniformly chosen rows have their label flipped.
    case random
    /// Positives of the items with the smallest id hash logged as negatives: a
    /// logging error tied to one feature (the candidate item).
    case feature
}

/// The frozen trainer: everything of a `strata train` config but the data and
/// the seed. Steps follow the submission's size (`steps(forRows:)`), so a small
/// subset is not trained for the pool's number of steps.
public struct FrozenTraining: Sendable, Codable, Equatable {
    public var model: ModelConfig
    public var optimizer: OptimizerConfig
    public var batchSize: Int
    /// Passes over the training rows.
    public var epochs: Double
    /// At least this many steps (a 1 % subset still gets a trained model).
    public var minSteps: Int

    public init(model: ModelConfig, optimizer: OptimizerConfig, batchSize: Int, epochs: Double, minSteps: Int) {
        self.model = model; self.optimizer = optimizer; self.batchSize = batchSize
        self.epochs = epochs; self.minSteps = minSteps
    }

    /// The small DLRM every task trains: mean-pooled history, D = 8.
    public static var small: FrozenTraining {
        let defaults = RunConfig()
        var m = defaults.model
        m.embeddingDim = 8
        m.bottom = [16, 8]
        m.top = [16, 1]
        m.encoder = .mean
        var o = defaults.optimizer
        o.denseLearningRate = 0.05
        o.embeddingLearningRate = 0.1
        return FrozenTraining(model: m, optimizer: o, batchSize: 128, epochs: 3, minSteps: 60)
    }

    /// Batch size for `rows` training rows (never more than the rows).
    public func batch(forRows rows: Int) -> Int { max(1, min(batchSize, rows)) }

    /// `max(minSteps, ceil(epochs * rows / batch))`.
    public func steps(forRows rows: Int) -> Int {
        max(minSteps, Int((epochs * Double(rows) / Double(batch(forRows: rows))).rounded(.up)))
    }

    /// The `strata train` config this training is: binary train and eval files, `seed`.
    public func runConfig(trainPath: String, evalPath: String, rows: Int, seed: UInt64) -> RunConfig {
        var c = RunConfig()
        c.model = model
        c.optimizer = optimizer
        c.data.source = .binary
        c.data.path = trainPath
        c.data.evalPath = evalPath
        c.data.dedup = true
        c.run.batchSize = batch(forRows: rows)
        c.run.steps = steps(forRows: rows)
        c.run.seed = seed
        c.run.logEvery = c.run.steps
        c.run.evalEvery = 0
        return c
    }
}

/// Label noise of a debugging task (the flipped rows themselves are in the
/// task's hidden `truth/flips.txt`).
public struct NoiseSpec: Sendable, Codable, Equatable {
    public var kind: NoiseKind
    /// Flipped rows over pool rows, as asked.
    public var fraction: Double
    /// Rows actually flipped.
    public var flipped: Int
}

/// A versioned DataPerf task: what a score names exactly. Written by `task
/// make` as `task.json` beside the pool and eval files; `version` is a hash of
/// everything else, so a changed pool, eval split, seed list or trainer is a
/// different version and old submissions are refused.
public struct DataPerfTask: Sendable, Codable, Equatable {
    /// Spec format (this file's layout).
    public var format: Int
    public var name: String
    /// `v1-` + 12 hex digits of FNV-1a over the rest of the spec.
    public var version: String
    public var track: DataPerfTrack
    /// Where the rows come from: one of `TaskMaker.dataSets`.
    public var dataset: DataSetKind
    /// Relative to the task folder.
    public var poolFile: String
    public var evalFile: String
    public var poolRows: Int
    public var evalRows: Int
    /// The binary files' payload checksums (FNV-1a 64).
    public var poolHash: String
    public var evalHash: String
    public var seeds: [UInt64]
    public var training: FrozenTraining
    /// Selection: the allowed budgets in rows (1 %, 5 %, 10 % of the pool by default).
    public var budgets: [Int]
    /// Debugging: the label noise; the grid of fixed fractions; the target share of the AUC gap.
    public var noise: NoiseSpec?
    public var grid: [Double]
    public var target: Double
    /// Debugging: the hidden list of flipped pool rows (relative path).
    public var truthFile: String?

    public static let currentFormat = 1

    public init(format: Int, name: String, version: String, track: DataPerfTrack, dataset: DataSetKind, poolFile: String,
                evalFile: String, poolRows: Int, evalRows: Int, poolHash: String, evalHash: String, seeds: [UInt64],
                training: FrozenTraining, budgets: [Int], noise: NoiseSpec?, grid: [Double], target: Double, truthFile: String?) {
        self.format = format; self.name = name; self.version = version; self.track = track; self.dataset = dataset
        self.poolFile = poolFile; self.evalFile = evalFile; self.poolRows = poolRows; self.evalRows = evalRows
        self.poolHash = poolHash; self.evalHash = evalHash; self.seeds = seeds; self.training = training
        self.budgets = budgets; self.noise = noise; self.grid = grid; self.target = target; self.truthFile = truthFile
    }
    public static let fileName = "task.json"

    /// The version this spec's content hashes to.
    public func computedVersion() -> String {
        var copy = self
        copy.version = ""
        let bytes = (try? StrataJSON.encoder(pretty: false).encode(copy)) ?? Foundation.Data()
        let h = bytes.withUnsafeBytes { fnv1a64($0) }
        return "v\(format)-" + String(String(format: "%016llx", h).prefix(12))
    }

    public func write(to directory: String) throws {
        try StrataJSON.write(self, to: (directory as NSString).appendingPathComponent(Self.fileName))
    }

    /// Reads `directory/task.json`, checks its version against its content.
    public static func load(from directory: String) throws -> DataPerfTask {
        let path = (directory as NSString).appendingPathComponent(fileName)
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw InputError("\(path): no task spec (make one with `strata dataperf task make`)")
        }
        let task: DataPerfTask
        do {
            let d = StrataJSON.decoder()
            d.keyDecodingStrategy = .convertFromSnakeCase
            task = try d.decode(DataPerfTask.self, from: bytes)
        } catch {
            throw InputError("\(path): not a DataPerf task spec: \(error)")
        }
        do { try TaskMaker.dataSets.check(task.dataset, key: "dataset") } catch { throw InputError("\(path): \(error.description)") }
        guard task.format == currentFormat else {
            throw InputError("\(path): spec format \(task.format); this strata reads format \(currentFormat)")
        }
        guard task.version == task.computedVersion() else {
            throw InputError("\(path): version \(task.version) does not match its content (\(task.computedVersion())): the spec was edited")
        }
        return task
    }
}

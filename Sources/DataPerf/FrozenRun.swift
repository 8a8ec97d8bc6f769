import Collectives
import Data
import Foundation
import Training

/// One training of the frozen trainer: a set of pool rows, some labels
/// inverted relative to the pool file, one seed. What a worker group runs.
public struct TrainingJob: Sendable, Codable, Equatable {
    /// Pool rows trained on, ascending (nil: the whole pool, in pool order).
    public var rows: [Int]?
    /// Pool rows whose label is inverted (debugging: the flips fixed so far), ascending.
    public var inverted: [Int]
    public var seed: UInt64

    public init(rows: [Int]?, inverted: [Int], seed: UInt64) {
        self.rows = rows; self.inverted = inverted; self.seed = seed
    }

    /// Same content, same key: equal jobs are trained once.
    public var contentKey: String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ v: Int) { h = (h ^ UInt64(bitPattern: Int64(v))) &* 0x100_0000_01b3 }
        mix(rows?.count ?? -1)
        for r in rows ?? [] { mix(r) }
        mix(-2)
        for r in inverted { mix(r) }
        return String(format: "%016llx-%llu", h, seed)
    }
}

/// What a training returns: the eval metrics, or why it failed.
public struct JobResult: Sendable, Codable, Equatable {
    public var auc: Double?
    public var logloss: Double?
    public var error: String?
    public var rows: Int
    public var steps: Int
    /// Training seconds (the step loop, as `strata train` reports them).
    public var trainSeconds: Double
    /// The whole job: file, trainer setup, training, eval.
    public var seconds: Double
}

/// Runs `TrainingJob`s of one task on a communicator (a worker group, or a world of one).
public struct FrozenRunner {
    public let task: DataPerfTask
    public let taskDirectory: String
    /// Where the per-job training files go (removed after each job).
    public let scratch: String
    /// A drill: the training of this seed throws, so a report shows that the
    /// other seeds' scores survive a failed one.
    public var failSeed: UInt64?
    let pool: PoolRows

    public init(task: DataPerfTask, taskDirectory: String, scratch: String, failSeed: UInt64? = nil) throws {
        self.task = task
        self.taskDirectory = taskDirectory
        self.scratch = scratch
        self.failSeed = failSeed
        pool = PoolRows(try BinaryDataset(path: Self.path(taskDirectory, task.poolFile)))
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    static func path(_ dir: String, _ file: String) -> String { (dir as NSString).appendingPathComponent(file) }

    public var evalPath: String { Self.path(taskDirectory, task.evalFile) }

    /// Trains `job` on `comm`; every error becomes the result's `error`.
    public func run(_ job: TrainingJob, index: Int, comm: Communicator) -> JobResult {
        let start = Date()
        let rows = job.rows ?? Array(0..<pool.count)
        var result = JobResult(auc: nil, logloss: nil, error: nil, rows: rows.count, steps: 0, trainSeconds: 0, seconds: 0)
        let file = Self.path(scratch, "job-\(index)-rank\(comm.worldRanks.first ?? 0).strata")
        do {
            if job.seed == failSeed { throw TrainingFailure("seed \(job.seed): failed on purpose (--fail-seed drill)") }
            try pool.write(rows, flipping: Set(job.inverted), split: .train, to: file)
            defer { try? FileManager.default.removeItem(atPath: file) }
            let config = task.training.runConfig(trainPath: file, evalPath: evalPath, rows: rows.count, seed: job.seed)
            let trainer = try Trainer(config: config, comm: comm)
            let summary = try TrainingRun(trainer: trainer, runDirectory: nil, progress: nil).run()
            result.auc = summary.metrics.evalAuc
            result.logloss = summary.metrics.evalLogloss
            result.steps = summary.steps
            result.trainSeconds = summary.throughput.seconds
        } catch {
            result.error = "\(error)"
        }
        result.seconds = Date().timeIntervalSince(start)
        return result
    }

    /// Baselines: trains on `trainRows` (labels as in the pool file) and returns
    /// one logit per row of `predictRows`, in that order.
    public func predict(trainRows: [Int], predictRows: [Int], seed: UInt64, comm: Communicator) throws -> [Double] {
        let trainFile = Self.path(scratch, "predict-train.strata"), evalFile = Self.path(scratch, "predict-eval.strata")
        try pool.write(trainRows, split: .train, to: trainFile)
        try pool.write(predictRows, split: .eval, to: evalFile)
        defer {
            try? FileManager.default.removeItem(atPath: trainFile)
            try? FileManager.default.removeItem(atPath: evalFile)
        }
        // The predicted rows are the eval split, so the model is sized for their sequences too.
        let config = task.training.runConfig(trainPath: trainFile, evalPath: evalFile, rows: trainRows.count, seed: seed)
        let trainer = try Trainer(config: config, comm: comm)
        for _ in 0..<config.run.steps { trainer.trainStep() }
        var logits: [Double] = []
        logits.reserveCapacity(predictRows.count)
        var at = 0
        while at < predictRows.count {
            let count = min(config.run.batchSize, predictRows.count - at)
            let batch = trainer.data.source.batch(globalStart: at, count: count, split: .eval, dedup: true)
            logits += trainer.evalLogits(batch).map(Double.init)
            at += count
        }
        return logits
    }

    public var poolRows: PoolRows { pool }
}

import Collectives
import Data
import Foundation
import RunKit
import Training

/// Scores submissions of one task: plans every training they need, trains each
/// distinct one once over MPI worker groups (the shared `WorkGroups`
/// coordinator, groups of one rank, one training per group at a time; a world
/// of one trains them in order), and assembles the scores.
///
/// Deterministic on any world size and in any order of submissions: a
/// training depends only on its job (rows, inverted labels, seed) and runs on
/// a communicator of one rank; results come back by job, never by arrival.
public struct DataPerfEvaluator {
    public let task: DataPerfTask
    public let taskDirectory: String
    /// The run folder (summary.json, jobs.jsonl, scores/, curves SVG).
    public let outDirectory: String
    public var failSeed: UInt64?
    public var progress: ((String) -> Void)?
    /// A training not back from its worker this many seconds after it was
    /// handed out ends the job, exit 3, naming its rank (`WorkOverdue`;
    /// `--job-timeout-seconds`); 0: no limit.
    public var jobTimeoutSeconds = 0.0

    public init(task: DataPerfTask, taskDirectory: String, outDirectory: String, failSeed: UInt64? = nil,
                progress: ((String) -> Void)? = nil) {
        self.task = task; self.taskDirectory = taskDirectory; self.outDirectory = outDirectory
        self.failSeed = failSeed; self.progress = progress
    }

    /// Collective over `world`; the summary on rank 0, nil on the workers.
    public func run(_ submissions: [Submission], world: Communicator) throws -> EvaluationSummary? {
        let start = Date()
        let runner = try FrozenRunner(task: task, taskDirectory: taskDirectory,
                                      scratch: (outDirectory as NSString).appendingPathComponent("scratch"), failSeed: failSeed)
        let groups = try WorkGroups(world: world, groupSize: 1, phase: .sweep)
        let limit = jobTimeoutSeconds > 0 ? WorkOverdue.Limit(seconds: jobTimeoutSeconds, key: "--job-timeout-seconds", noun: "training") : nil
        let watch = try groups.watchCoordinator(limit, directory: outDirectory)
        defer { watch?.stop() }
        guard groups.isCoordinator else {
            try groups.serve { (job: TrainingJob, group: Communicator, _: Int) in
                runner.run(job, index: group.worldRanks.first ?? 0, comm: group)
            }
            return nil
        }
        defer { groups.stop() }
        let flips = try DataPerfTruth.flips(task: task, directory: taskDirectory)
        let plan = JobPlan(task: task, flips: flips, submissions: submissions)
        let folder = try RunFolder(path: outDirectory, isWriter: true)
        progress?("dataperf: \(submissions.count) submission(s) of \(task.name) \(task.version): \(plan.jobs.count) distinct trainings "
                  + "on \(max(groups.groupCount, 1)) group(s) of 1 rank")
        var results = [JobResult?](repeating: nil, count: plan.jobs.count)
        var finished = 0
        try groups.dispatch(plan.jobs, local: { runner.run($0, index: 0, comm: world) }, limit: limit) { (i, result: JobResult, group) in
            results[i] = result
            finished += 1
            try folder.appendLine("jobs.jsonl", JobLine(job: i, seed: plan.jobs[i].seed, rows: result.rows,
                                                        inverted: plan.jobs[i].inverted.count, group: group, result: result))
            if finished % 10 == 0 || finished == plan.jobs.count {
                progress?(String(format: "[%d/%d] trainings (%.0fs)", finished, plan.jobs.count, Date().timeIntervalSince(start)))
            }
        }
        let done = results.map { $0! }
        let scores = submissions.map { plan.score($0, results: done) }.sorted { $0.submission < $1.submission }
        for s in scores { try folder.writeJSON("scores/\(s.submission).json", s) }
        if task.track == .debugging { try folder.writeText("curves.svg", DebuggingCurves.svg(scores)) }
        let summary = EvaluationSummary(task: task.name, version: task.version, worldSize: world.size, groups: max(groups.groupCount, 1),
                                        trainings: plan.jobs.count, wallSeconds: Date().timeIntervalSince(start),
                                        trainSeconds: done.reduce(0) { $0 + $1.trainSeconds }, scores: scores)
        try folder.writeJSON("summary.json", summary)
        try? FileManager.default.removeItem(atPath: runner.scratch)
        return summary
    }
}

/// A line of jobs.jsonl.
struct JobLine: Codable {
    var job: Int
    var seed: UInt64
    var rows: Int
    var inverted: Int
    var group: Int
    var result: JobResult
}

/// The hidden truth of a debugging task: which pool rows were flipped.
public enum DataPerfTruth {
    public static func flips(task: DataPerfTask, directory: String) throws -> [Int] {
        guard let file = task.truthFile else { return [] }
        let path = (directory as NSString).appendingPathComponent(file)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError("\(path): cannot read the task's flip list: \(TextLines.whyUnreadable(path))")
        }
        return try TextLines.split(data).enumerated().filter { !$0.element.isEmpty }.map { i, line in
            guard let r = Int(line) else { throw InputError("\(path):\(i + 1): '\(line)' is not a row id") }
            return r
        }
    }
}

/// Every training the submissions need, each distinct one once.
struct JobPlan {
    let task: DataPerfTask
    let flips: [Int]
    private(set) var jobs: [TrainingJob] = []
    private var index: [String: Int] = [:]

    init(task: DataPerfTask, flips: [Int], submissions: [Submission]) {
        self.task = task
        self.flips = flips
        for s in submissions { for job in jobsFor(s).flatMap({ $0.jobs }) { add(job) } }
    }

    private mutating func add(_ job: TrainingJob) {
        let key = job.contentKey
        if index[key] == nil { index[key] = jobs.count; jobs.append(job) }
    }

    /// A labelled set of jobs (one per seed) for one quantity of a submission.
    struct Point { var fraction: Double; var rowsFixed: Int; var flipsFixed: Int; var jobs: [TrainingJob] }

    /// Selection: one point (the rows). Debugging: noisy (0), the grid, clean (1).
    func jobsFor(_ s: Submission) -> [Point] {
        switch task.track {
        case .selection:
            let rows = s.rows.sorted()
            return [Point(fraction: 0, rowsFixed: 0, flipsFixed: 0, jobs: task.seeds.map { TrainingJob(rows: rows, inverted: [], seed: $0) })]
        case .debugging:
            let ranking = s.fullRanking(poolRows: task.poolRows)
            let flipSet = Set(flips)
            let n = task.poolRows
            return ([0] + task.grid + [1]).map { f in
                let k = Int((f * Double(n)).rounded())
                let fixed = ranking.prefix(k).filter { flipSet.contains($0) }.sorted()
                return Point(fraction: f, rowsFixed: k, flipsFixed: fixed.count,
                             jobs: task.seeds.map { TrainingJob(rows: nil, inverted: fixed, seed: $0) })
            }
        }
    }

    func score(_ s: Submission, results: [JobResult]) -> SubmissionScore {
        let points = jobsFor(s).map { p in
            (p, zip(p.jobs, p.jobs.map { results[index[$0.contentKey]!] }).map { job, r in
                SeedScore(seed: job.seed, auc: r.auc, logloss: r.logloss, error: r.error, trainSeconds: r.trainSeconds)
            })
        }
        // A seed that failed anywhere is left out of every mean, so all points average the same seeds.
        let failed = Set(points.flatMap { $0.1.filter { $0.error != nil }.map(\.seed) })
        func meanAuc(_ seeds: [SeedScore]) -> Double? { mean(seeds.filter { !failed.contains($0.seed) }.map(\.auc)) }
        let trainSeconds = Set(points.flatMap { $0.0.jobs.map(\.contentKey) }).map { results[index[$0]!].trainSeconds }.reduce(0, +)
        var out = SubmissionScore(submission: s.name, file: s.path, task: task.name, version: task.version, track: task.track,
                                  selection: nil, debugging: nil, failedSeeds: failed.sorted(), trainSeconds: trainSeconds)
        switch task.track {
        case .selection:
            let seeds = points[0].1
            out.selection = SelectionScore(budget: s.budget ?? s.rows.count, rows: s.rows.count, seeds: seeds, auc: meanAuc(seeds),
                                           logloss: mean(seeds.filter { !failed.contains($0.seed) }.map(\.logloss)))
        case .debugging:
            let noisy = meanAuc(points.first!.1), clean = meanAuc(points.last!.1)
            let grid = points.dropFirst().map { p, seeds in
                GridPoint(fraction: p.fraction, rowsFixed: p.rowsFixed, flipsFixed: p.flipsFixed, auc: meanAuc(seeds), seeds: seeds)
            }
            var d = DebuggingScore(noisyAuc: noisy, cleanAuc: clean, targetAuc: nil, score: nil, grid: grid)
            if let noisy, let clean {
                let target = noisy + task.target * (clean - noisy)
                d.targetAuc = target
                d.score = grid.first { ($0.auc ?? -.infinity) >= target }?.fraction ?? 1
            }
            out.debugging = d
        }
        return out
    }
}

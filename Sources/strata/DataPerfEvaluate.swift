import ArgumentParser
import CLISupport
import Collectives
import Data
import DataPerf
import Foundation
import RunKit

struct DataPerfEvaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score submissions of a task with the frozen trainer (launch with mpirun for worker groups).",
        discussion: """
        Every submission is checked first (version, budget, unknown, repeated or malformed \
        ids: an error names file:line, exit 2, nothing trains). Then each distinct training \
        (rows, fixed labels, seed) runs once: in a world of one in order; under mpirun rank \
        0 hands them to worker groups of one rank. Scores do not depend on the world size \
        or the order of the submissions. Writes OUT/summary.json, OUT/scores/<name>.json, \
        OUT/jobs.jsonl and, for debugging, OUT/curves.svg. A failed training is reported \
        under its seed; the other seeds still score. With --job-timeout-seconds T, a training not \
        back from its worker rank T seconds after it was handed out ends the job, exit 3, with one \
        line naming the training and the rank (a stopped or hung worker would otherwise hold rank 0 \
        forever), and a rank 0 that stops responding for T seconds is named by a worker, exit 3 \
        (progress.bin in the evaluation folder); set T well above the slowest training.
        """
    )

    @Option(help: "Task folder (from `strata dataperf task make`).")
    var task: String
    @Option(help: "Evaluation folder to write.")
    var out: String
    @Option(name: .customLong("fail-seed"), help: "Drill: make every training of this seed fail (the report keeps the others).")
    var failSeed: UInt64?
    @Option(name: .customLong("job-timeout-seconds"), help: "The watchdog: a training not back from its worker rank within this many seconds ends the job, exit 3, naming the rank (default 0 = no limit).")
    var jobTimeoutSeconds = 0.0
    @Flag(help: "Print nothing but errors.")
    var quiet = false
    @Argument(help: "Submission files.")
    var submissions: [String]

    /// Every numeric option's allowed values.
    static let ranges = OptionRanges<DataPerfEvaluate>("dataperf evaluate", [
        ("--fail-seed", .seed, { $0.failSeed.map(Double.init) }), ("--job-timeout-seconds", .reals(0...1e9), { $0.jobTimeoutSeconds }),
    ])

    func run() throws {
        try Self.ranges.check(self)
        try requireOutputFolder(out, what: "the evaluation folder")
        let spec = try loadTask(task)
        var subs: [Submission] = []
        do {
            subs = try submissions.map { try Submission.load(path: $0, task: spec) }
            let names = subs.map(\.name)
            if let dup = names.first(where: { n in names.filter { $0 == n }.count > 1 }) {
                throw InputError("two submissions are named \(dup) (the file name is the leaderboard's label)")
            }
        } catch {
            throw inputFailure(error)
        }
        var evaluator = DataPerfEvaluator(task: spec, taskDirectory: task, outDirectory: out, failSeed: failSeed)
        evaluator.jobTimeoutSeconds = jobTimeoutSeconds
        withWorld(ranksPerNode: nil) { world in
            var e = evaluator
            e.progress = progressPrinter(quiet: quiet, rank: world.rank)
            guard let summary = try e.run(subs, world: world), !quiet else { return }
            for s in summary.scores { print(Self.line(s)) }
            print(String(format: "dataperf: %d trainings in %.1fs wall (%.1fs training) on %d rank(s); outputs in %@",
                         summary.trainings, summary.wallSeconds, summary.trainSeconds, summary.worldSize, out))
        }
    }

    static func line(_ s: SubmissionScore) -> String {
        let failed = s.failedSeeds.isEmpty ? "" : "  FAILED seeds \(s.failedSeeds)"
        if let sel = s.selection {
            return String(format: "%@ (budget %d, %d rows): auc %.4f  logloss %.4f", s.submission, sel.budget, sel.rows,
                          sel.auc ?? .nan, sel.logloss ?? .nan) + failed
        }
        let d = s.debugging
        return String(format: "%@: score %.3f  (noisy auc %.4f, clean %.4f, target %.4f)", s.submission, d?.score ?? .nan,
                      d?.noisyAuc ?? .nan, d?.cleanAuc ?? .nan, d?.targetAuc ?? .nan) + failed
    }
}

struct DataPerfBaseline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Write the baseline submissions of a task (one process).",
        discussion: """
        Selection (one file per baseline and budget, <name>-b<budget>.txt): random, \
        balanced (half each label), per-user (round-robin over users), loss (highest \
        per-row loss under a model trained on the pool), iae (entrant: ∞-AE's most label-consistent rows), distill (entrant: the rows of the users a Distill-CF summary stands for). Debugging (<name>.txt, a full \
        ranking): random, loss (highest training loss first), confident (out-of-fold \
        confident learning, --folds folds: least likely given label first), iae (entrant: ∞-AE's least label-consistent rows first).
        """
    )

    @Option(help: "Task folder.")
    var task: String
    @Option(help: "Folder for the submission files.")
    var out: String
    @Option(help: "Baselines to write (comma-separated; default: all of the track's).")
    var only: String?
    @Option(help: "Seed of the baselines' draws and trainings.")
    var seed: UInt64 = 1
    @Option(help: "Confident learning: folds.")
    var folds = 4

    /// Every numeric option's allowed values, checked before anything is sized by them.
    static let ranges = OptionRanges<DataPerfBaseline>("dataperf baseline", [
        ("--seed", .seed, { Double($0.seed) }), ("--folds", .ints(2...1000), { Double($0.folds) }),
    ])

    func run() throws {
        try Self.ranges.check(self)
        try requireOutputFolder(out, what: "the submissions folder")
        let spec = try loadTask(task)
        let wanted = only.map { Set($0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }) }
        let names = spec.track == .selection ? SelectionBaseline.allCases.map(\.rawValue) : DebuggingBaseline.allCases.map(\.rawValue)
        if let unknown = wanted?.subtracting(names).sorted().first {
            throw inputFailure("--only: unknown baseline '\(unknown)' for a \(spec.track.rawValue) task (one of \(names.joined(separator: ", ")))")
        }
        guard folds >= 2 else { throw inputFailure("--folds must be at least 2, got \(folds)") }
        withWorld(ranksPerNode: nil) { world in
            guard world.size == 1 else { throw InputError("baseline runs in one process (a world of one); got \(world.size) ranks") }
            let runner = try FrozenRunner(task: spec, taskDirectory: task, scratch: (out as NSString).appendingPathComponent("scratch"))
            var b = Baselines(runner: runner)
            b.seed = seed
            b.folds = folds
            defer { try? FileManager.default.removeItem(atPath: runner.scratch) }
            for name in names where wanted?.contains(name) ?? true {
                let start = Date()
                switch spec.track {
                case .selection:
                    for budget in spec.budgets {
                        let rows = try b.select(SelectionBaseline(rawValue: name)!, budget: budget, comm: world)
                        try write("\(name)-b\(budget)", SubmissionFile.render(version: spec.version, budget: budget, rows: rows,
                                                                         comment: "selection baseline \(name), seed \(seed)"))
                    }
                case .debugging:
                    let ranking = try b.rank(DebuggingBaseline(rawValue: name)!, comm: world)
                    try write(name, SubmissionFile.render(version: spec.version, budget: nil, rows: ranking,
                                                      comment: "debugging baseline \(name), seed \(seed)"))
                }
                print(String(format: "dataperf: baseline %@ written (%.1fs)", name, Date().timeIntervalSince(start)))
            }
        }
    }

    func write(_ name: String, _ text: String) throws {
        try RunFolder(path: out).writeText(name + ".txt", text)
    }
}

struct DataPerfLeaderboard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leaderboard",
        abstract: "Rank every scored submission of a task: leaderboard.md and leaderboard.json.",
        discussion: """
        Reads OUT_OF_EVALUATE/scores/*.json of each folder given; scores of another task \
        or task version are left out (listed under 'skipped'). Selection ranks by eval AUC \
        within each budget; debugging by score (the fraction fixed, lower is better).
        """
    )

    @Option(help: "Task folder.")
    var task: String
    @Option(help: "Folder for leaderboard.md and leaderboard.json (default: print only).")
    var out: String?
    @Argument(help: "Evaluation folders (from `strata dataperf evaluate`).")
    var evaluations: [String]

    func run() throws {
        try requireOutputFolder(out, what: "the leaderboard folder")
        let spec = try loadTask(task)
        do {
            let board = try Leaderboard.gather(task: spec, folders: evaluations)
            let md = board.markdown()
            print(md, terminator: "")
            for s in board.skipped { print("skipped: \(s)") }
            if let out {
                let folder = try RunFolder(path: out)
                try folder.writeText("leaderboard.md", md)
                try folder.writeJSON("leaderboard.json", board, newline: true)
            }
        } catch {
            throw inputFailure(error)
        }
    }
}

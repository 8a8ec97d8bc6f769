import ArgumentParser
import CLISupport
import Collectives
import Data
import DataPerf
import Foundation

/// `strata dataperf`: DataPerf's selection and debugging tracks on recommendation data.
struct DataPerfCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataperf",
        abstract: "DataPerf for recommendation: make tasks, write baseline submissions, evaluate submissions, render leaderboards.",
        discussion: """
        A task (task make) is a folder: task.json (the versioned spec: pool, budgets, seeds, \
        frozen trainer, eval split hashes), pool.strata, eval.strata and, for debugging, \
        truth/flips.txt. Submissions are text files (a 'version:' line, a 'budget:' line for \
        selection, then pool row ids). evaluate trains the frozen small DLRM on each \
        submission over MPI worker groups and writes scores; leaderboard ranks them. \
        See docs/DESIGN.md (DataPerf) for the scoring rules.
        """,
        subcommands: [DataPerfTaskCommand.self, DataPerfBaseline.self, DataPerfEvaluate.self, DataPerfLeaderboard.self]
    )
}

extension DataPerfTrack: ExpressibleByArgument {}
extension NoiseKind: ExpressibleByArgument {}

struct DataPerfTaskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "task", abstract: "Make DataPerf task folders.",
                                                    subcommands: [DataPerfTaskMake.self])
}

/// A comma-separated list of numbers, or an error naming the option.
func numberList<T: LosslessStringConvertible>(_ text: String, option: String) throws -> [T] {
    try text.split(separator: ",").map {
        guard let v = T(String($0).trimmingCharacters(in: .whitespaces)) else {
            throw inputFailure("\(option): '\($0)' is not a number (expected a comma-separated list)")
        }
        return v
    }
}

struct DataPerfTaskMake: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make",
        abstract: "Write a task folder: task.json, pool.strata, eval.strata (and truth/flips.txt for debugging).",
        discussion: """
        MovieLens: the per-user time split of ml-latest-small (each user's last 5 ratings \
        are eval); the pool keeps whole users, in id order, while their training rows fit \
        in --pool-rows; eval keeps the same users. Synthetic: --pool-rows training rows and \
        --eval-rows eval rows of a small seeded source with a planted model. Debugging \
        tasks flip --noise-fraction of the pool's labels: 'random' rows, or 'feature': \
        positives of the candidate items with the smallest seeded hash logged as negatives.
        """
    )

    @Option(help: "Data set: \(TaskMaker.dataSets.names.joined(separator: ", ")).")
    var dataset: String
    @Option(help: "Track: \(DataPerfTrack.allCases.map(\.rawValue).joined(separator: ", ")).")
    var track: DataPerfTrack
    @Option(help: "Task folder to write.")
    var out: String
    @Option(help: "Task name (default: <dataset>-<track>[-<noise>]).")
    var name: String?
    @Option(help: "MovieLens folder (ml-latest-small-*.csv).")
    var movielens: String?
    @Option(name: .customLong("pool-rows"), help: "Pool size (MovieLens: at most).")
    var poolRows = 10_000
    @Option(name: .customLong("eval-rows"), help: "Synthetic eval rows.")
    var evalRows = 4_000
    @Option(name: .customLong("data-seed"), help: "Seed of the synthetic data and of the flips.")
    var dataSeed: UInt64 = 7
    @Option(help: "Training seeds every score averages over (comma-separated).")
    var seeds = "1,2,3"
    @Option(help: "Selection budgets, percent of the pool (comma-separated).")
    var budgets = "1,5,10"
    @Option(help: "Debugging noise: \(NoiseKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var noise: NoiseKind = .random
    @Option(name: .customLong("noise-fraction"), help: "Debugging: labels flipped over pool rows.")
    var noiseFraction = 0.2
    @Option(help: "Debugging: the grid of fixed fractions i/n (comma-separated, increasing, in (0, 1)).")
    var grid: String?
    @Option(help: "Frozen trainer: passes over the training rows.")
    var epochs = FrozenTraining.small.epochs

    /// Every numeric option's allowed values, checked before anything is sized by them.
    static let ranges = OptionRanges<DataPerfTaskMake>("dataperf task make", [
        ("--pool-rows", .ints(1...100_000_000), { Double($0.poolRows) }), ("--eval-rows", .ints(1...100_000_000), { Double($0.evalRows) }),
        ("--data-seed", .seed, { Double($0.dataSeed) }), ("--noise-fraction", .above(0, atMost: 1), { $0.noiseFraction }),
        ("--epochs", .ints(1...100_000), { Double($0.epochs) }),
    ])

    func run() throws {
        // Decoded by DataPerf's adapter: a kind it does not read is refused naming the kinds it reads.
        let dataset: DataSetKind
        do { dataset = try TaskMaker.dataSets.decode(self.dataset, key: "--dataset") } catch { throw inputFailure(error) }
        try Self.ranges.check(self)
        try requireOutputFolder(out, what: "the task folder")
        var r = TaskRecipe(name: name ?? "\(dataset.rawValue)-\(track.rawValue)" + (track == .debugging ? "-\(noise.rawValue)" : ""),
                           track: track, dataset: dataset)
        r.movielensDirectory = movielens
        r.poolRows = poolRows
        r.evalRows = evalRows
        r.dataSeed = dataSeed
        r.seeds = try numberList(seeds, option: "--seeds")
        r.budgetPercents = try numberList(budgets, option: "--budgets")
        r.noise = noise
        r.noiseFraction = noiseFraction
        if let grid { r.grid = try numberList(grid, option: "--grid") }
        r.training.epochs = epochs
        do {
            let task = try TaskMaker.make(r, directory: out)
            print("dataperf: task \(task.name) \(task.version): \(task.poolRows) pool rows, \(task.evalRows) eval rows"
                  + (task.track == .selection ? ", budgets \(task.budgets)" : ", \(task.noise?.flipped ?? 0) labels flipped")
                  + " -> \(out)")
        } catch let e as ExitCode {
            throw e
        } catch {
            throw inputFailure(error)
        }
    }
}

/// The task folder, loaded, or an input error.
func loadTask(_ dir: String) throws -> DataPerfTask {
    do { return try DataPerfTask.load(from: dir) } catch {
        throw inputFailure(error)
    }
}

import ArgumentParser
import CLISupport
import Collectives
import CollectivesMPI
import Foundation
import KernelRecommenders
import RunKit

/// Options `strata iae` and `strata distill` share (without --config: built-in
/// defaults on MovieLens ml-latest-small; the run folder defaults to runs/<command>-<time>).
struct KernelOptions: ParsableArguments {
    @OptionGroup var configOptions: ConfigOptions
    @OptionGroup var folder: RunFolderOptions
    var runDir: String? { folder.runDir }

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    @OptionGroup var world: WorldOptions

    /// The config, or exit 2 with the reason (rank 0 prints it).
    func load() throws -> KernelRunConfig {
        try requireOutputFolder(runDir, what: "the run folder")
        do { return try KernelConfigLoader.load(file: configOptions.config, overrides: configOptions.overrides) } catch {
            throw inputFailure(error)
        }
    }
}

extension KernelOptions {
    /// The start `strata iae` and `strata distill` share: the config, the world, the
    /// data (every rank reads it, timed from `start`) and `say`, which prints on rank 0
    /// unless --quiet. Errors thrown by `body` end the run as `withWorld` ends it.
    func withRun(_ body: (_ world: MPICommunicator, _ cfg: KernelRunConfig, _ data: InteractionData, _ start: Double,
                          _ say: @escaping (String) -> Void) throws -> Void) throws -> Never {
        let cfg = try load()
        let quiet = quiet
        withWorld(ranksPerNode: world.ranksPerNode) { world in
            let start = monotonicSeconds()
            let data = try KernelRun.data(cfg)
            let say = progressPrinter(quiet: quiet, rank: world.rank) ?? { _ in }
            try body(world, cfg, data, start, say)
        }
    }
}

/// What every kernel run folder's summary.json holds about its data and world.
struct KernelRunInfo: Codable {
    var command: String
    var dataPath: String
    var feedback: String
    var users: Int
    var items: Int
    var trainInteractions: Int
    var validationInteractions: Int
    var testInteractions: Int
    /// Users, items and rows per split, and the pairs in two splits.
    var counts: InteractionData.Counts
    var worldSize: Int
    var solver: String
    var lambdas: [Double]
}

enum KernelRun {
    /// Loads the data (every rank reads the file; errors are the same on every rank).
    static func data(_ c: KernelRunConfig) throws -> InteractionData {
        var source = c.source
        source.path = c.dataFile
        return try InteractionData.load(source)
    }

    /// Rows of an interactions CSV (a summary) over `data`'s items; unknown items are an error.
    static func fitRows(_ path: String, data: InteractionData) throws -> SparseRows {
        let table = try InteractionCSV.read(path: path, feedback: .allRatings)
        var itemIndex: [String: Int32] = [:]
        for (i, id) in data.itemIDs.enumerated() { itemIndex[id] = Int32(i) }
        var rows = [[Int32]](repeating: [], count: table.userIDs.count)
        for r in table.rows {
            guard let i = itemIndex[table.itemIDs[Int(r.item)]] else {
                throw InputError("\(path): item '\(table.itemIDs[Int(r.item)])' is not an item of \(data.items) in the data")
            }
            rows[Int(r.user)].append(i)
        }
        return SparseRows(columns: data.items, rows: rows)
    }

    static func info(_ command: String, _ c: KernelRunConfig, _ d: InteractionData, worldSize: Int) -> KernelRunInfo {
        let feedback: String
        switch c.source.feedback {
        case .allRatings: feedback = "all ratings"
        case .minRating(let t): feedback = "rating >= \(t)"
        }
        return KernelRunInfo(command: command, dataPath: c.dataFile, feedback: feedback, users: d.users, items: d.items,
                             trainInteractions: d.train.nonZeros, validationInteractions: d.validation.nonZeros,
                             testInteractions: d.test.nonZeros, counts: d.counts, worldSize: worldSize, solver: c.iae.solver?.rawValue ?? "auto",
                             lambdas: c.iae.lambdas)
    }

    /// One folder name for every rank (rank 0's clock), created by rank 0 (the
    /// folder object on rank 0 alone), and the phase watchdog when
    /// iae.phase_timeout_seconds is set (its progress board in the folder). Collective.
    static func folder(_ given: String?, command: String, config: KernelRunConfig, comm: Communicator,
                       say: (String) -> Void) throws -> (folder: RunFolder?, watch: PhaseWatch?) {
        let path = runFolderPath(given, name: command, world: comm)
        let folder = comm.rank == 0 ? try RunFolder(path: path) : nil
        let watch = try PhaseWatch.start(comm: comm, timeout: config.phaseTimeoutSeconds, directory: path, unit: phaseUnit)
        if let watch { say("strata: phase watchdog on: \(watch.describe)") }
        return (folder, watch)
    }

    /// What the phase watchdog counts: the fit with the first λ, each further λ,
    /// the test, then (distill) each distillation step or search candidate, the
    /// popularity baseline and the summary, the same on every rank.
    static let phaseUnit = WatchUnit(noun: "phase", key: "iae.phase_timeout_seconds")

    /// Peak resident memory of every rank (min / mean / max).
    static func memory(_ comm: Communicator) -> LedgerReport.Stat {
        LedgerReport.Stat(comm.allgather(.control, Int64(peakResidentBytes())).map(Double.init))
    }

    /// CPU seconds of every rank (min / mean / max).
    static func cpu(_ comm: Communicator) -> LedgerReport.Stat {
        LedgerReport.Stat(comm.allgather(.control, cpuSeconds()))
    }

    /// Rank 0's seconds per phase, with GFLOP/s where the phase is arithmetic.
    static func phases(_ r: InfiniteAEResult) -> String {
        let t = r.timings, g = r.gflops
        let part = { (name: String, key: String, rate: String?) -> String in
            name + String(format: " %.2f s", t[key] ?? 0) + (rate.flatMap { g[$0] }.map { String(format: " (%.1f GFLOP/s)", $0) } ?? "")
        }
        return "time: " + [part("load", "load_s", nil), part("kernel", "gram_s", "gram"), part("factorisation", "factor_s", "factor"),
                           part("solves", "solve_s", "solve"), part("Vᵀ F", "project_s", "project"),
                           part("scoring", "predict_s", "predict"), part("ranking and metrics", "metrics_s", nil)].joined(separator: ", ")
    }

    static func describe(_ m: RankingMetrics) -> String {
        // Metrics of no user would read as HR 0, AUC 0.5: say there are none instead.
        guard m.users > 0 else { return "no evaluation: the split holds no users with items" }
        let parts = m.ks.indices.map { i in
            String(format: "HR@%d %.4f nDCG@%d %.4f PSP@%d %.4f", m.ks[i], m.hitRate[i], m.ks[i], m.ndcg[i], m.ks[i], m.psp[i])
        }
        let line = parts.joined(separator: "  ") + String(format: "  AUC %.4f", m.auc)
        guard m.allUsers != m.users else { return line }
        // The released eval.py divides by every user; say both where they differ.
        let all = m.overAllUsers
        return line + String(format: "  (%d of %d users have a target; over all, as the released eval.py: nDCG@%d %.4f HR@%d %.4f)",
                             m.users, m.allUsers, m.ks[0], all.ndcg[0], m.ks.last!, all.hitRate.last!)
    }
}

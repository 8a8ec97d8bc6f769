import ArgumentParser
import Collectives
import Foundation
import KernelRecommenders
import RunKit

struct IAECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iae",
        abstract: "∞-AE: a closed-form kernel recommender (the NTK of an infinitely wide autoencoder), over MPI.",
        discussion: """
        Reads interactions (MovieLens ratings.csv or any user,item[,rating,timestamp][,split] CSV; \
        without a split column a seeded per-user 80/10/10 split), fits P = K (K + λ·trK/n·I)⁻¹ X with \
        the NTK kernel between users, picks λ from iae.lambdas by validation HR@100, and reports test HR, \
        nDCG and PSP at iae.ks, AUC, and the item-popularity baseline. Each rank holds a block of users. \
        iae.solver: auto (the default: the cheaper by operation count for the grid's length, \
        KernelSolver.cheaper), eigen (one eigendecomposition reused for every λ) or cholesky (a \
        factorisation and one solve for the items per λ).

        Engines (iae.engine): replicated (every rank holds the users x users kernel, rank 0 factorises \
        with LAPACK), scalapack (the kernel block-cyclic over a 2-D grid of the ranks in blocks of \
        iae.grid_block, factorised by ScaLAPACK's pdsyevd or pdpotrf; each rank holds about 1/P of it; \
        needs mpirun), or auto (the default: scalapack on several MPI ranks, so that every rank shares the \
        factorisation and the solves, replicated on one; the other when the first does not fit \
        iae.memory_budget_mib; an error naming both needs when neither fits).

        Keys (YAML or --set): data.path, data.fit_path (fit on this CSV's users, e.g. a Distill-CF summary), \
        data.min_rating (a number, or all: the default, as the paper), data.seed, data.min_user_interactions, \
        iae.lambdas, iae.solver (auto | eigen | cholesky), iae.engine (auto | replicated | scalapack), iae.grid_block, \
        iae.ks, iae.auc_negatives, iae.seed, iae.block_rows, iae.memory_budget_mib, iae.sigma_w2, iae.sigma_b2, iae.popularity, \
        iae.phase_timeout_seconds.

        The watchdog (iae.phase_timeout_seconds T, default 0 = off): the run goes through numbered \
        phases, the same on every rank (1: the kernel, factorisation and the first λ; then each \
        further λ; the test; the popularity baseline; the summary), each marked on a progress board in \
        the run folder (progress.bin); a phase that some rank has not reached, or is silent in, \
        after T seconds ends the job, exit 3, with one line "strata: rank R: phase N: rank(s) Q did \
        not arrive within T s (...)". Set T well above the slowest phase (usually the first).

        Writes RUN_DIR/summary.json (metrics, chosen λ, timings, peak memory, communication) and \
        RUN_DIR/lambdas.jsonl (validation metrics per λ).
        """
    )

    @OptionGroup var options: KernelOptions

    func run() throws {
        let runDir = options.runDir
        try options.withRun { world, cfg, data, start, say in
            let loadSeconds = monotonicSeconds() - start
            let fit = try cfg.fitPath.map { try KernelRun.fitRows($0, data: data) }
            let (folder, watch) = try KernelRun.folder(runDir, command: "iae", config: cfg, comm: world, say: say)
            defer { watch?.stop() }
            watch?.next()
            say("iae: \(data.users) users x \(data.items) items, \(data.train.nonZeros) train interactions, \(world.size) rank(s), "
                + "fit on \(fit?.rows ?? data.users) users, solver \(cfg.iae.solver?.rawValue ?? "auto")")
            say("split: " + data.counts.description)
            var result = try InfiniteAE.run(data, fit: fit, comm: world, config: cfg.iae) { r in
                say(String(format: "  λ %-8g validation ", r.lambda) + KernelRun.describe(r.validation) + String(format: "  (%.2f s, CPU %.2f s)", r.seconds, r.cpuSeconds))
                try? folder?.appendLine("lambdas.jsonl", r)
                watch?.next()
            }
            result.timings["load_s"] = loadSeconds
            say("test (λ \(result.chosenLambda), \(result.solver), \(result.engine)): " + KernelRun.describe(result.test))
            say(KernelRun.phases(result))
            watch?.next()
            let popularity = cfg.popularity ? InfiniteAE.popularity(data, comm: world, config: cfg.iae) : nil
            if let popularity { say("popularity:     " + KernelRun.describe(popularity)) }
            watch?.next()
            world.ledger.endStep()
            let report = LedgerReport.reduce(world.ledger.run, steps: 1, comm: world)
            let summary = Summary(run: KernelRun.info("iae", cfg, data, worldSize: world.size), iae: result, popularity: popularity,
                                  peakMemoryBytes: KernelRun.memory(world), cpuSeconds: KernelRun.cpu(world), totalSeconds: monotonicSeconds() - start, communication: report)
            try folder?.writeJSON("summary.json", summary)
            say(String(format: "total %.2f s (CPU %.2f s on the busiest rank); run folder: %@", summary.totalSeconds, summary.cpuSeconds.max, folder?.path ?? ""))
        }
    }

    struct Summary: Codable {
        var run: KernelRunInfo
        var iae: InfiniteAEResult
        var popularity: RankingMetrics?
        var peakMemoryBytes: LedgerReport.Stat
        var cpuSeconds: LedgerReport.Stat
        var totalSeconds: Double
        var communication: LedgerReport
    }
}

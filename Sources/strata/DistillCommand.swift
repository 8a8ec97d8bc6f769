import ArgumentParser
import Collectives
import Foundation
import KernelRecommenders
import RunKit

struct DistillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distill",
        abstract: "Distill-CF: learn tiny synthetic user summaries on which ∞-AE keeps its quality, over MPI.",
        discussion: """
        For each size in distill.sizes, as the paper's released code: m synthetic users as logits over the \
        items (distill.init_scale x the rows of m random real users), Gumbel-softmax draws with fresh noise \
        (distill.draws per user at distill.temperature), ∞-AE fitted on them in closed form, the real users' \
        train rows as the loss, Adam (distill.learning_rate) for up to distill.steps steps. At steps 25, 50, \
        ..., 200 and every distill.eval_every the sampled (continuous) summary is validated (binary, entries \
        >= distill.threshold, with distill.binary_summary), λ re-picked from the grid and trained on, the best \
        by validation HR@100 kept; distill.patience steps without improvement stop the run. Then ∞-AE on \
        the summary, on random real users of the same size over distill.baseline_seeds seeds (mean and \
        range) and on the most active (distill.baselines), and on the full data, all on the same test split. \
        distill.search: every (distill.temperatures x distill.cardinality_regs x distill.draws_grid) is \
        distilled, the best by validation HR@100 alone is tested.

        Keys: every key of `strata iae`, and distill.sizes, distill.steps, distill.draws, distill.temperature, \
        distill.learning_rate, distill.init_scale, distill.cardinality_reg, distill.lambda (fixed; default: \
        re-picked at each validation), distill.eval_every, distill.patience, distill.binary_summary, \
        distill.threshold, distill.seed, distill.baselines, distill.baseline_seeds, distill.search, \
        distill.temperatures, distill.cardinality_regs, distill.draws_grid.

        The watchdog (iae.phase_timeout_seconds T, as in `strata iae`): phases are the full data's \
        ∞-AE (as iae's), then for each size its start and first step, each further distillation step \
        (or search candidate), the size's tests (the summary and baselines, one phase), and at the end \
        the popularity baseline and the summary. A phase some rank has not reached after T seconds ends \
        the job, exit 3, naming that rank.

        Writes RUN_DIR/summary.json, RUN_DIR/distill.jsonl (loss per step), RUN_DIR/summary-<m>.csv (each \
        binary summary as user,item lines that `strata iae --set data.fit_path=...` trains on) and \
        RUN_DIR/distill-curve.svg (test nDCG@10 against the number of users).
        """
    )

    @OptionGroup var options: KernelOptions

    func run() throws {
        let runDir = options.runDir
        try options.withRun { world, cfg, data, start, say in
            let (folder, watch) = try KernelRun.folder(runDir, command: "distill", config: cfg, comm: world, say: say)
            defer { watch?.stop() }
            say("distill: \(data.users) users x \(data.items) items, sizes \(cfg.distill.sizes), \(cfg.distill.steps) steps, \(world.size) rank(s)")
            watch?.next()
            let full = try InfiniteAE.run(data, comm: world, config: cfg.iae) { _ in watch?.next() }
            say("full data (\(data.users) users): " + KernelRun.describe(full.test))
            var results: [DistillSizeResult] = []
            for m in cfg.distill.sizes {
                watch?.next()
                let progress: (DistillStep) -> Void = { s in
                    watch?.next()
                    try? folder?.appendLine("distill.jsonl", s)
                    if let hr = s.validationHitRate {
                        say(String(format: "  m %d step %d loss %.5f validation HR@%d %.4f, λ %g, %d binary interactions (%.2f s/step)",
                                   m, s.step, s.loss, cfg.iae.selectionK, hr, s.lambda ?? .nan, s.summaryInteractions ?? 0, s.seconds))
                    }
                }
                let (summary, r) = cfg.search
                    ? try DistillCF.search(data, size: m, config: cfg.distill, temperatures: cfg.temperatures, cardinalityRegs: cfg.cardinalityRegs,
                                           draws: cfg.drawsGrid, iae: cfg.iae, comm: world) { c, d in
                        watch?.next()
                        say(String(format: "  m %d search: τ %g, cardinality %g, draws %d: validation HR@%d %.4f (best step %d of %d)",
                                   m, c.temperature, c.cardinalityReg, c.draws, cfg.iae.selectionK, d.validationHitRate, d.bestStep, d.stoppedAt))
                    }
                    : try DistillCF.run(data, size: m, config: cfg.distill, iae: cfg.iae, comm: world, progress: progress)
                results.append(r)
                try folder.map { f in
                    try InteractionCSV.write(summary, userIDs: (0..<m).map { "synthetic-\($0)" }, itemIDs: data.itemIDs,
                                             to: f.file("summary-\(m).csv"))
                }
                let fullNDCG = full.test.ndcg(at: 10)
                var line = String(format: "m %d: loss %.5f -> %.5f; test nDCG@10 distilled %.4f", m, r.firstLoss, r.lastLoss, r.distilled.test.ndcg(at: 10))
                    + (fullNDCG > 0 ? String(format: " (%.1f %% of full)", 100 * r.distilled.test.ndcg(at: 10) / fullNDCG) : " (full data scores 0: no share)")
                if let a = r.randomSpread, let b = r.mostActive {
                    line += String(format: ", random %.4f (%d seeds, %.4f-%.4f), most-active %.4f", a.mean, a.seeds, a.min, a.max, b.test.ndcg(at: 10))
                }
                line += String(format: "; τ %g, cardinality %g, draws %d, best step %d of %d", r.temperature, r.cardinalityReg, r.draws, r.bestStep, r.stoppedAt)
                say(line + String(format: " (%.1f s)", r.seconds))
                try folder?.writeText("distill-curve.svg", DistillCurve.svg(results, full: full))
            }
            watch?.next()
            let popularity = cfg.popularity ? InfiniteAE.popularity(data, comm: world, config: cfg.iae) : nil
            watch?.next()
            world.ledger.endStep()
            let summary = Summary(run: KernelRun.info("distill", cfg, data, worldSize: world.size), full: full, sizes: results,
                                  popularity: popularity, peakMemoryBytes: KernelRun.memory(world), cpuSeconds: KernelRun.cpu(world),
                                  totalSeconds: monotonicSeconds() - start,
                                  communication: LedgerReport.reduce(world.ledger.run, steps: 1, comm: world))
            try folder?.writeJSON("summary.json", summary)
            say(String(format: "total %.1f s (CPU %.1f s on the busiest rank); run folder: %@", summary.totalSeconds, summary.cpuSeconds.max, folder?.path ?? ""))
        }
    }

    struct Summary: Codable {
        var run: KernelRunInfo
        var full: InfiniteAEResult
        var sizes: [DistillSizeResult]
        var popularity: RankingMetrics?
        var peakMemoryBytes: LedgerReport.Stat
        var cpuSeconds: LedgerReport.Stat
        var totalSeconds: Double
        var communication: LedgerReport
    }
}

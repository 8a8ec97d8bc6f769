import ArgumentParser
import CLISupport
import Collectives
import Federated
import FedHetero
import Foundation

struct FLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fl",
        abstract: "Federated learning on MPI ranks (Flower's conventions), and FEL (launch with mpirun).",
        discussion: """
        Rank 0 is the server; every other rank hosts clients and trains the ones the server \
        samples, one after another (a world of one trains them itself). Each round the server \
        samples K clients (seeded), broadcasts the model and each client's config, takes the \
        updates back in sampled order (so any world size gives the same model bytes), \
        aggregates by the strategy (fedavg, fedprox, fedadagrad, fedadam, fedyogi; optional \
        central DP with an RDP accountant's epsilon) and evaluates centrally on the clients' \
        test splits, overall and per group (device tier, cluster); with eval.federated_clients \
        M, also on M sampled clients' devices, which return only their sample count, logloss \
        sum and a score histogram (eval.auc_bins) for the pooled AUC. mode: fel trains FEL: \
        k-means clusters of public features, one leaf federation per cluster, then an \
        over-arch over the frozen leaves trained with labels on the devices, beside one FL \
        model of the same size and a centralized bound.

        The run folder holds rounds.jsonl (a line per federation round: participants, \
        failures, stragglers, metrics, simulated time/energy/bytes, real MPI bytes), \
        summary.json, eval_rounds.svg and eval_time.svg (default: runs/<mode>-<time>). \
        Without --config: built-in defaults, synthetic data.

        RF^2 (tiers.mapping random | dirichlet): users get device tiers 0 (low), 1, 2; every \
        eval reports AUC per tier (groups rf2_tier:N, tier_auc.svg); the rf2.* keys turn on the \
        tier-aware optimizations (rf2.heterofl: each tier trains a narrower top MLP, averaged \
        over the devices that hold each parameter). `strata fl fairness` compares one against \
        none under both mappings (rho per tier, MDAC, their ratio).

        Config keys (YAML nesting or --set a.b=value):
        \(FLKeys.schema.help())

        device.tiers in a config file (every field of a tier given):
          device:
            enabled: true
            tiers:
              - {name: high, share: 0.3, gflops: 12, down_mbps: 50, up_mbps: 20,
                 train_watts: 4.5, net_watts: 1.2, idle_watts: 0.5, availability: 0.9}
              - {name: low, share: 0.7, gflops: 2, down_mbps: 5, up_mbps: 2,
                 train_watts: 2.0, net_watts: 0.8, idle_watts: 0.3, availability: 0.6}

        The watchdog (round_timeout_seconds T, default 0 = off): every rank marks each round \
        and federated evaluation it starts on a progress board in the run folder (progress.bin); \
        a round that some rank has not reached, or is silent in, after T seconds ends the job, \
        exit 3, with one line from the lowest healthy rank, "strata: rank R: round N: rank(s) Q \
        did not arrive within T s (...)". Rounds count over the whole command (fl fairness, fl gpo \
        and FEL run several federations: round N is the Nth the server started, a FEL round is \
        all leaves' at once); the set-up before round 1 and the server's own work between rounds \
        (central evaluation, writing, FEL's centralized bound) count toward the round they \
        follow, so set T well above the slowest of them.

        `strata fl` alone runs the federation; `strata fl fairness` and `strata fl gpo` \
        (below) run several with the same config and keys.
        """,
        subcommands: [FLFairnessCommand.self, FLGPOCommand.self]
    )

    @OptionGroup var options: FLOptions

    @Option(name: .customLong("dump-model"), help: ArgumentHelp("mode fl: write the final global model (flat float32, little-endian) to FILE (for tests).", valueName: "FILE"))
    var dumpModel: String?

    func run() throws {
        let spec = try options.load()
        let options = options, quiet = options.quiet, dumpModel = dumpModel
        withWorld(ranksPerNode: nil) { world in
            let dir = options.runFolder(spec.mode.rawValue, world: world), say = options.say
            let isServer = world.rank == 0
            let watch = try options.watch(spec, folder: dir, world: world)
            defer { watch?.stop() }
            switch spec.mode {
            case .fl:
                if let tiers = spec.tiers {
                    let out = try TieredRun.run(comm: world, config: spec.federation, tiers: tiers, source: spec.source,
                                                directory: isServer ? dir : nil, watch: watch, progress: say)
                    if let s = out, !quiet {
                        report(s.fl)
                        print("tiers (\(s.mapping), \(s.optimization)): sizes \(s.tierSizes), final AUC "
                              + s.tierAUC.map { $0.map { String(format: "%.4f", $0) } ?? "-" }.joined(separator: " / "))
                    }
                    break
                }
                let out = try FederatedRun.run(comm: world, config: spec.federation, source: spec.source,
                                               directory: isServer ? dir : nil, watch: watch, progress: say)
                if let s = out?.summary, !quiet { report(s) }
                if let path = dumpModel, let model = out?.model {
                    try model.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: path))
                }
            case .fel:
                let s = try FELRun.run(comm: world, config: spec.federation, fel: spec.fel, source: spec.source,
                                       directory: isServer ? dir : nil, watch: watch, progress: say)
                if let s, !quiet { report(s) }
            }
            if isServer && !quiet { print("run folder: \(dir)") }
        }
    }

    func report(_ s: FLSummary) {
        print(String(format: "%@ on %d ranks: %d rounds, %d client updates, %.0f updates/s (round busy time), median round %.3f s",
                     s.mode, s.worldSize, s.rounds, s.clientUpdates, s.clientUpdatesPerSecond, s.medianRoundSeconds))
        print(String(format: "simulated: %.1f s, %.1f J, %.1f MB over device links; MPI: %.1f MB",
                     s.simSeconds, s.simJoules, Double(s.deviceBytes) / 1e6, Double(s.mpiBytes) / 1e6))
        if let q = s.finalEval { print(String(format: "final eval: logloss %.4f NE %.4f AUC %.4f (%d samples)", q.logloss, q.ne, q.auc, q.count)) }
        if let q = s.finalFederatedEval {
            print(String(format: "final federated eval: logloss %.4f NE %.4f AUC %.4f (%d samples, on the clients)", q.logloss, q.ne, q.auc, q.count))
        }
        if let c = s.federatedEvalCost {
            print(String(format: "federated eval cost: %.3g forward FLOPs, %.1f MB down, %.1f kB up, simulated %.1f s, %.1f J",
                         c.forwardFlops, Double(c.downBytes) / 1e6, Double(c.upBytes) / 1e3, c.simSeconds, c.simJoules))
        }
        if let e = s.epsilon { print(String(format: "central DP: epsilon %.3f", e)) }
        if let f = s.fel {
            func line(_ name: String, _ q: Quality?) {
                guard let q else { return }
                print(String(format: "  %-22@ logloss %.4f  NE %.4f  AUC %.4f", name as NSString, q.logloss, q.ne, q.auc))
            }
            line("single FL", f.singleFL); line("FEL leaves (routed)", f.routedLeaves); line("FEL (over-arch)", f.fel); line("centralized", f.centralized)
            if let g = f.loglossGainPercent { print(String(format: "  FEL vs single FL: logloss %+.2f %%, NE %+.2f %%, AUC %+.2f %%", g, f.neGainPercent ?? 0, f.aucGainPercent ?? 0)) }
            if let r = f.roundsToSingleFinal { print(String(format: "  leaves reach the single model's final logloss at round %d (%.1f simulated s; single: %.1f s)", r, f.simSecondsToSingleFinal ?? 0, f.singleSimSeconds)) }
        }
    }
}

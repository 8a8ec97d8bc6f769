import ArgumentParser
import CLISupport
import Collectives
import Federated
import FedHetero
import Foundation

/// `strata fl gpo`: its options are `strata fl`'s.
struct FLGPOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gpo",
        abstract: "FedGPO: learn (B, E, K) per round by Q-learning, against the common and the best fixed setting.",
        discussion: """
        Runs, with the simulated phones on (device model): the common fixed (B, E, K) \
        (gpo.common), every fixed setting of the grid (gpo.batches x gpo.epochs x gpo.clients), \
        gpo.episodes Q-learning runs (epsilon-greedy over the grid; state: model size, the \
        round's candidate devices' slowdown, their data heterogeneity; reward: relative eval \
        logloss gain per unit of energy, penalised when quality falls), then the learned \
        policy greedily. Reports time and energy to a target eval AUC (gpo.target_auc, \
        default 0.99 x the common run's final AUC) for the common setting, the best fixed \
        setting in hindsight (least energy to the target) and FedGPO. Every round is \
        evaluated. Takes the same config and keys as `strata fl` (see strata fl --help). \
        Writes gpo.json, gpo_rounds.jsonl, gpo_time.svg and gpo_energy.svg to the run \
        folder (default: runs/gpo-<time>).

        Its own keys (the rest: strata fl --help):
        \(FLKeys.schema.help(["gpo."]))
        """
    )

    @OptionGroup var options: FLOptions

    func run() throws {
        let spec = try options.load { spec in
            try spec.gpo.validate(population: spec.source.population)
            guard spec.mode == .fl, spec.tiers == nil else { throw InputError("gpo: mode fel, tiers and rf2.* do not apply") }
            // FedGPO's runs evaluate centrally for their reward; set, the key would be ignored.
            guard spec.federation.federatedEvalClients == 0 else { throw InputError("gpo: eval.federated_clients does not apply") }
        }
        let options = options
        withWorld(ranksPerNode: nil) { world in
            let dir = options.runFolder("gpo", world: world), say = options.say
            let watch = try options.watch(spec, folder: dir, world: world)
            defer { watch?.stop() }
            guard let r = try GPORun.run(comm: world, config: spec.federation, gpo: spec.gpo, source: spec.source,
                                         directory: world.rank == 0 ? dir : nil, watch: watch, progress: say) else { return }
            print(String(format: "FedGPO (%@, %d rounds), target AUC %.4f", r.source, r.rounds, r.targetAUC))
            func row(_ label: String, _ o: GPOOutcome) {
                let t = o.secondsToTarget.map { String(format: "%.1f", $0) } ?? "not reached"
                let e = o.joulesToTarget.map { String(format: "%.1f", $0) } ?? "not reached"
                print(String(format: "  %-32@ final AUC %.4f  time to target %@ s  energy to target %@ J", "\(label) \(o.name)" as NSString,
                             o.finalAUC, t as NSString, e as NSString))
            }
            row("common:", r.common); row("best fixed:", r.bestFixed); row("learned:", r.fedgpo)
            print("  FedGPO's actions: " + r.actionsUsed.sorted { $0.value > $1.value }.map { "\($0.key) x\($0.value)" }.joined(separator: ", "))
            print("run folder: \(dir)")
        }
    }
}

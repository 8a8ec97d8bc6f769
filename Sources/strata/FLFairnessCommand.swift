import ArgumentParser
import CLISupport
import Collectives
import Federated
import FedHetero
import Foundation

/// `strata fl fairness`: its options are `strata fl`'s.
struct FLFairnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fairness",
        abstract: "RF^2 fairness: one tier-aware optimization against none, under the random and the dirichlet tier mappings.",
        discussion: """
        Four `strata fl` runs with the same seeds: no optimization and the configured rf2.* \
        optimization, each under tiers.mapping random and dirichlet (alpha from tiers.alpha). \
        Per tier t: rho_t = (AUC_t,opt - AUC_t,none) / AUC_t,none on the final eval; \
        MDAC = max |rho_i - rho_j| over tier pairs; the ratio MDAC(dirichlet) / MDAC(random) \
        (the RF^2 paper reports 15.8-41x). Takes the same config and keys as `strata fl` \
        (see strata fl --help); at least one rf2.* key must be set. Writes fairness.json, \
        fairness.svg (rho per tier) and a run folder per run under the run folder \
        (default: runs/fairness-<time>).

        Its own keys (the rest: strata fl --help):
        \(FLKeys.schema.help(["tiers.", "rf2."]))
        """
    )

    @OptionGroup var options: FLOptions

    func run() throws {
        let spec = try options.load { spec in
            guard spec.mode == .fl, let tiers = spec.tiers, !tiers.optimizations.isNone else {
                throw InputError("fairness: set at least one rf2.* optimization (rf2.exclude_low, rf2.over_select, rf2.prune, rf2.quant_bits, rf2.heterofl)")
            }
        }
        let options = options
        withWorld(ranksPerNode: nil) { world in
            let dir = options.runFolder("fairness", world: world), say = options.say
            let watch = try options.watch(spec, folder: dir, world: world)
            defer { watch?.stop() }
            let r = try FairnessRun.run(comm: world, config: spec.federation, tiers: spec.tiers!, alpha: spec.tierAlpha,
                                        source: spec.source, directory: world.rank == 0 ? dir : nil, watch: watch, progress: say)
            guard let r else { return }
            print("fairness of \(r.optimization) (\(r.source), \(r.rounds) rounds)")
            print("  mapping    tier sizes         AUC none (t0/t1/t2)      AUC opt (t0/t1/t2)       rho (t0/t1/t2)             MDAC")
            for s in [r.random, r.dirichlet] {
                func f(_ xs: [Double], _ fmt: String) -> String { xs.map { String(format: fmt, $0) }.joined(separator: "/") }
                print(String(format: "  %-10@ %-18@ %-24@ %-24@ %-26@ %.5f", s.mapping as NSString, "\(s.tierSizes)" as NSString,
                             f(s.baselineAUC, "%.4f") as NSString, f(s.optimizedAUC, "%.4f") as NSString,
                             f(s.rho, "%+.4f") as NSString, s.mdac))
            }
            print(String(format: "  MDAC ratio (dirichlet / random): %.2fx", r.mdacRatio))
            print("run folder: \(dir)")
        }
    }
}

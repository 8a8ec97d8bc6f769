import ArgumentParser
import CLISupport
import Collectives
import Evolve
import Foundation

struct EvolveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evolve",
        abstract: "GEVO on CPU: evolve a kernel's LLVM IR for speed under an error bound (launch with mpirun to spread evaluations).",
        discussion: """
        Reads an evolve file (Configs/evolve-*.yaml: kernel, population, generations, \
        tolerances, seeds), compiles the kernel's C with Debian's LLVM 14 (clang-14 -O3 to IR), \
        and runs NSGA-II over edit lists of that IR (delete, insert, replace, swap, move, \
        operand replace; repaired to keep dominance), minimising runtime and output error. \
        Rank 0 searches; the other ranks evaluate variants (opt verify, llc -O3, link, run under \
        a time limit, compare with the original's outputs); a world of one evaluates on rank 0. \
        The final front is re-checked on held-out inputs, the best variant's edits are minimised, \
        and it is timed beside the original on the held-out inputs. Writes to --out: \
        config.json, original.ll, evaluations.jsonl, pareto.jsonl (one line per generation), \
        best.ll, summary.json (speedup, minimised edits with an explanation each), runtime.svg.
        Kernels: \(KernelName.allCases.map(\.rawValue).joined(separator: ", ")).

        Keys (defaults): kernel (required), measure (runtime | static_instructions), \
        population (256), generations (10), crossover (0.7), mutation (0.3), initial_edits (3), \
        elite (2), seed (1), tolerance (0.01), held_out_tolerance (0.001; alignment scores \
        exact), timeout (2 CPU seconds per run), repetitions (10), train_seeds ([1]), \
        held_out_seeds ([1001, 1002]), minimise_threshold (0.01), final_rounds (5), \
        final_repetitions (20), verify_new_edits (true), llvm_bin (/usr/lib/llvm-14/bin); \
        --set key=value overrides one. The run folder defaults to runs/evolve-<kernel>.
        """
    )

    @OptionGroup var configOptions: ConfigOptions
    @OptionGroup var folder: RunFolderOptions

    @Option(help: "Scratch folder for the ranks' builds (default: <out>/work).")
    var work: String?

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    func run() throws {
        let loaded: (EvolveConfig, Toolchain)
        do {
            loaded = try EvolveLoader.load(file: try configOptions.required("the evolve file"), overrides: configOptions.overrides)
        } catch {
            throw inputFailure(error)
        }
        let (cfg, toolchain) = loaded
        let outDir = folder.runDir ?? "runs/evolve-\(cfg.evaluation.kernel.rawValue)"
        try requireOutputFolder(outDir, what: "the run folder")
        try requireOutputFolder(work, what: "the scratch folder")
        let evolution = Evolution(config: cfg, toolchain: toolchain, outDirectory: outDir,
                                  workDirectory: work ?? (outDir as NSString).appendingPathComponent("work"),
                                  progress: progressPrinter(quiet: quiet))
        withWorld(ranksPerNode: nil) { world in
            var e = evolution
            if world.rank != 0 { e.progress = nil }
            try e.run(world: world)
        }
    }
}

import ArgumentParser
import Benchmarking
import CLISupport
import Collectives
import Foundation
import Training

/// `strata bench train`: whole training steps of a config, samples/s over the
/// world, and where each rank's step goes (the Trainer's `StepTimers`).
struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Whole training steps of a config: samples/s and the step's breakdown per rank.",
        discussion: """
        Builds the Trainer of --config (default Configs/bench-kaggle.yaml) with the \
        --set overrides, runs --warmup steps untimed (default 10), then --reps \
        repetitions (default 5) of --steps steps. Per repetition: samples/s = global batch x steps / the slowest \
        rank's seconds, and each rank's milliseconds per step in each part of the \
        step (data, input_dist, lookup, output_dist_wait, dense_forward, \
        dense_backward, embedding_backward, dense_allreduce, optimizer; 'other' is \
        the rest of the wall time: the loss allreduce and the ledger). Medians over \
        repetitions with the range. Bytes per sample: every byte the ledger saw \
        ranks send to other ranks, per step, over the global batch. Launch with \
        mpirun for several ranks (Launch/common.sh's mpi_run).
        """
    )

    @OptionGroup var configOptions: ConfigOptions
    var config: String { configOptions.config ?? "Configs/bench-kaggle.yaml" }
    var overrides: [String] { configOptions.overrides }

    @Option(help: "Timed steps per repetition.")
    var steps = 20

    @OptionGroup var bench: BenchOptions

    func validate() throws {
        guard steps > 0 else { throw ValidationError("--steps must be positive, got \(steps)") }
    }

    func run() throws {
        let cfg: RunConfig
        do {
            cfg = try ConfigLoader.load(file: config, overrides: overrides)
        } catch {
            throw inputFailure(error)
        }
        let settings = bench.settings(reps: 5, warmup: 10)
        let (steps, configPath, overrides) = (self.steps, self.config, self.overrides)
        withWorld(ranksPerNode: cfg.topology.ranksPerNode, intraNodeBandwidth: cfg.topology.intraNodeGiBps * 1_073_741_824,
                  interNodeBandwidth: cfg.topology.interNodeGiBps * 1_073_741_824) { world in
            try TrainBenchmark.run(config: cfg, configPath: configPath, overrides: overrides, steps: steps,
                                   settings: settings, world: world)
        }
    }
}

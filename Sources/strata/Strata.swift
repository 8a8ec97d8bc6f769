import ArgumentParser
import CLISupport
import Foundation

/// The `strata` executable: one worker per MPI rank, started by mpirun (or
/// alone, as a world of one).
@main
struct Strata: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata",
        abstract: "Train sequence DLRMs over MPI, with every byte of communication counted.",
        discussion: """
        Launch with mpirun, one process per rank, for example:
          mpirun -np 4 --oversubscribe strata bench comm
        Launch/train and Launch/test wrap mpirun with the right environment.
        """,
        subcommands: [Train.self, PlanCommand.self, PlanMapCommand.self, DataCommand.self, SweepCommand.self, Bench.self, IAECommand.self, DistillCommand.self, DataPerfCommand.self,
                      ServeHandOver.self, LoadgenHandOver.self, ProvisionCommand.self, EvolveCommand.self, FLCommand.self,
                      RangesCommand.self]
    )

    /// `serve` and `loadgen` run in the sibling binary (ServingHandOver); the
    /// rest parse here, a bad command line being one sentence and exit 2.
    static func main() {
        ServingHandOver.execIfServing(Array(CommandLine.arguments.dropFirst()))
        runCommandLine(Strata.self) { option, arguments in RangesCommand.allowed(option: option, arguments: arguments) }
    }
}

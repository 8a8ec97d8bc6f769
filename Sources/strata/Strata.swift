import ArgumentParser
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
                      ServeCommand.self, LoadgenCommand.self, ProvisionCommand.self, EvolveCommand.self, FLCommand.self,
                      RangesCommand.self]
    )

    /// ArgumentParser's own exit, except that a command line it cannot parse
    /// (a value that is not a number, a missing option) is one sentence and
    /// status 2, like every other bad input, with the option's allowed range
    /// when it has one; an error a command throws is said in words.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if error is ExitCode || code == .success { exit(withError: error) }
            // An ExitCode thrown from a `validate()` arrives wrapped; its sentence is already out.
            if code.rawValue == 2 { Foundation.exit(2) }
            if code == .validationFailure {
                var line = message(for: error).split(separator: "\n").first.map(String.init) ?? "bad command line"
                if let r = line.range(of: #"'--[a-z0-9-]+"#, options: .regularExpression),
                   let allowed = RangesCommand.allowed(option: String(line[r].dropFirst()), arguments: CommandLine.arguments) {
                    line += ": \(line[r].dropFirst()) must be \(allowed)"
                }
                printError("strata: error: \(line)")
                Foundation.exit(2)
            }
            printError("strata: error: \(errorSentence(error))")
            Foundation.exit(2)
        }
    }
}

import ArgumentParser
import CLISupport

/// `strata-serve`: `strata serve` and `strata loadgen`. The only executable
/// linking the HTTP stack (swift-nio, Hummingbird, Prometheus, the service
/// lifecycle, HdrHistogram), so that building the trainer never compiles it;
/// `strata` execs this binary, its sibling in the build folder, with the same
/// arguments (ServingHandOver), hence the root's name.
@main
struct StrataServe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata",
        abstract: "Strata's serving commands (`strata serve` and `strata loadgen` run this binary).",
        subcommands: [ServeCommand.self, LoadgenCommand.self, ServeRanges.self]
    )

    /// A bad command line is one sentence and exit 2, with the option's range.
    static func main() {
        runCommandLine(StrataServe.self) { option, arguments in ServeRanges.allowed(option: option, arguments: arguments) }
    }
}

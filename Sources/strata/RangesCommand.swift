import ArgumentParser
import CLISupport
import Foundation

/// Every declared numeric key and option of every command, one line each
/// (RangeEntry.line). The serving commands' own come from `strata-serve
/// ranges`, the binary that declares them. Hidden: a test hook, not a
/// user's command.
struct RangesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ranges", abstract: "List every numeric key's and option's allowed values.",
                                                    shouldDisplay: false)

    static var entries: [RangeEntry] {
        let scratch = RangeEntry.probeFolder
        return RangeEntry.options(DataConvert.ranges, ["--out", scratch])
            + RangeEntry.options(DataCriteoGen.ranges, ["--out", scratch])
            + RangeEntry.options(DataPerfEvaluate.ranges, ["--task", scratch, "--out", scratch, "submission.txt"])
            + RangeEntry.options(DataPerfTaskMake.ranges, ["--dataset", "synthetic", "--track", "selection", "--out", scratch])
            + RangeEntry.options(DataPerfBaseline.ranges, ["--task", scratch, "--out", scratch])
            + RunConfigKeys.schema.rangeEntries(command: "train", mode: "set")
            + FLKeys.schema.rangeEntries(command: "fl", mode: "set")
            + ["iae", "distill"].flatMap { c in KernelConfigLoader.schema.rangeEntries(command: c, mode: "set").sorted { $0.name < $1.name } }
            + EvolveLoader.schema.rangeEntries(command: "evolve", mode: "file", probe: ["kernel: embedding_bag"])
    }

    func run() throws {
        for e in Self.entries { print(e.line) }
        fflush(stdout)
        // serve, serve profile and loadgen are declared in strata-serve.
        let serving = Process()
        serving.executableURL = URL(fileURLWithPath: ServingHandOver.siblingPath)
        serving.arguments = ["ranges"]
        do { try serving.run() } catch {
            throw inputFailure("cannot list the serving commands' ranges: \(ServingHandOver.siblingPath) did not start (\(errorSentence(error)))")
        }
        serving.waitUntilExit()
        guard serving.terminationStatus == 0 else { throw inputFailure("\(ServingHandOver.siblingPath) ranges exited with \(serving.terminationStatus)") }
    }

    /// The range of option `name` of the command the arguments name.
    static func allowed(option name: String, arguments: [String]) -> Allowed? {
        RangeEntry.allowed(option: name, arguments: arguments, in: entries)
    }
}

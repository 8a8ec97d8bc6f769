import ArgumentParser
import CLISupport
import Foundation
import Serving

/// The serving commands' declared numeric options (RangeEntry.line each),
/// for `strata ranges`, which appends them to the rest. Hidden.
struct ServeRanges: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ranges", abstract: "List the serving options' allowed values.",
                                                    shouldDisplay: false)

    static var entries: [RangeEntry] {
        let scratch = RangeEntry.probeFolder
        return RangeEntry.options(ServeRun.ranges, ["--workload", Workload.names[0]])
            + RangeEntry.options(ServeProfile.ranges, ["--workload", Workload.names[0], "--bound-ms", "10", "--out", scratch])
            + RangeEntry.options(LoadgenCommand.ranges, ["--workload", Workload.names[0], "--port", "1"])
    }

    func run() throws {
        for e in Self.entries { print(e.line) }
    }

    /// The range of option `name` of the serving command the arguments name
    /// (`strata serve --port x` names `serve`).
    static func allowed(option name: String, arguments: [String]) -> Allowed? {
        RangeEntry.allowed(option: name, arguments: arguments, in: entries, defaultCommand: "serve")
    }
}

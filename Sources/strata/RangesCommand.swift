import ArgumentParser
import Foundation
import Serving

/// Every declared numeric key and option of every command, one line each
/// (tab-separated): command, how it is given (`option`, `set` for `--set
/// key=value`, `file` for a key of the command's YAML file), its name, int or
/// real, low bound, open or closed, high bound, and the arguments that make
/// the rest of the command line valid. Tests/MPI/hardening.sh feeds each one
/// NaN, infinity, -1, 0 and a huge value. Hidden: a test hook, not a user's command.
struct RangesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ranges", abstract: "List every numeric key's and option's allowed values.",
                                                    shouldDisplay: false)

    struct Entry {
        var command: String, mode: String, name: String, allowed: Allowed, probe: [String]
        var line: String {
            [command, mode, name, allowed.integer ? "int" : "real", "\(allowed.low)", allowed.lowOpen ? "open" : "closed",
             "\(allowed.high)", probe.joined(separator: " ")].joined(separator: "\t")
        }
    }

    static var entries: [Entry] {
        func options<C>(_ r: OptionRanges<C>, _ probe: [String]) -> [Entry] {
            r.options.map { Entry(command: r.command, mode: "option", name: $0.name, allowed: $0.allowed, probe: probe) }
        }
        let scratch = NSTemporaryDirectory() + "strata-ranges-probe"
        return options(ServeRun.ranges, ["--workload", Workload.names[0]])
            + options(ServeProfile.ranges, ["--workload", Workload.names[0], "--bound-ms", "10", "--out", scratch])
            + options(LoadgenCommand.ranges, ["--workload", Workload.names[0], "--port", "1"])
            + options(DataConvert.ranges, ["--out", scratch])
            + options(DataCriteoGen.ranges, ["--out", scratch])
            + options(DataPerfEvaluate.ranges, ["--task", scratch, "--out", scratch, "submission.txt"])
            + options(DataPerfTaskMake.ranges, ["--dataset", "synthetic", "--track", "selection", "--out", scratch])
            + options(DataPerfBaseline.ranges, ["--task", scratch, "--out", scratch])
            + FLConfigLoader.keys.compactMap { k in k.2.map { Entry(command: "fl", mode: "set", name: k.0, allowed: $0, probe: []) } }
            + ["iae", "distill"].flatMap { c in
                KernelConfigLoader.declared.sorted { $0.key < $1.key }.compactMap { k, v in
                    v.allowed.map { Entry(command: c, mode: "set", name: k, allowed: $0, probe: []) }
                }
            }
            + EvolveLoader.declared.compactMap { k in k.1.map { Entry(command: "evolve", mode: "file", name: k.0, allowed: $0, probe: ["kernel: embedding_bag"]) } }
    }

    func run() throws {
        for e in Self.entries { print(e.line) }
    }

    /// The range of option `name` of the command the arguments name, for a
    /// parse error's sentence ("--port must be an integer in 0...65535").
    static func allowed(option name: String, arguments: [String]) -> Allowed? {
        let words = arguments.dropFirst().prefix { !$0.hasPrefix("-") }.joined(separator: " ")
        return entries.filter { $0.mode == "option" && $0.name == name && (words + " ").hasPrefix($0.command + " ") }
            .max { $0.command.count < $1.command.count }?.allowed
            ?? entries.first { $0.mode == "option" && $0.name == name && $0.command == "serve" && words.isEmpty }?.allowed
    }
}

import Foundation

/// One declared numeric key or option, as `strata ranges` lists it (one
/// tab-separated line): command, how it is given (`option`, `set` for `--set
/// key=value`, `file` for a key of the command's YAML file), its name, int or
/// real, low bound, which bounds are included (`[]`, `(]`, `[)`, `()`), high bound, and the arguments that make
/// the rest of the command line valid. Tests/MPI/hardening.sh feeds each one
/// NaN, infinity, -1, 0 and a huge value.
package struct RangeEntry: Sendable {
    package var command: String, mode: String, name: String, allowed: Allowed, probe: [String]

    package init(command: String, mode: String, name: String, allowed: Allowed, probe: [String]) {
        self.command = command; self.mode = mode; self.name = name; self.allowed = allowed; self.probe = probe
    }

    package var line: String {
        [command, mode, name, allowed.integer ? "int" : "real", "\(allowed.low)", allowed.bounds,
         "\(allowed.high)", probe.joined(separator: " ")].joined(separator: "\t")
    }

    /// The output folder a probe's command line names (never written: every
    /// probed value is refused before any work).
    package static let probeFolder = NSTemporaryDirectory() + "strata-ranges-probe"

    /// A command's declared options, each listed with `probe` as the rest of its command line.
    package static func options<C>(_ r: OptionRanges<C>, _ probe: [String]) -> [RangeEntry] {
        r.options.map { RangeEntry(command: r.command, mode: "option", name: $0.name, allowed: $0.allowed, probe: probe) }
    }

    /// The range of option `name` of the command the arguments name, for a
    /// parse error's sentence ("--port must be an integer in 1...65535").
    package static func allowed(option name: String, arguments: [String], in entries: [RangeEntry],
                                defaultCommand: String? = nil) -> Allowed? {
        let words = arguments.dropFirst().prefix { !$0.hasPrefix("-") }.joined(separator: " ")
        return entries.filter { $0.mode == "option" && $0.name == name && (words + " ").hasPrefix($0.command + " ") }
            .max { $0.command.count < $1.command.count }?.allowed
            ?? entries.first { $0.mode == "option" && $0.name == name && $0.command == defaultCommand && words.isEmpty }?.allowed
    }
}

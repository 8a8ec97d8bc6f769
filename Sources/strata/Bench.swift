import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure Strata's parts: communication (and more as they land).",
        subcommands: [BenchComm.self]
    )
}

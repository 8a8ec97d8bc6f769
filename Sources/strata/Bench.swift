import ArgumentParser
import Benchmarking
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure Strata's parts: dense GEMMs, embedding kernels, communication, whole training steps.",
        subcommands: [BenchGemm.self, BenchEmbedding.self, BenchComm.self, BenchTrain.self]
    )
}

/// The options every `strata bench` command takes. Each command has its own
/// defaults for the counts (its --help discussion names them).
struct BenchOptions: ParsableArguments {
    @Option(help: "Timed repetitions (default: the command's).")
    var reps: Int?

    @Option(help: "Untimed repetitions first; for `bench train`, untimed steps (default: the command's).")
    var warmup: Int?

    @Option(help: "OpenBLAS threads per rank (default: as OPENBLAS_NUM_THREADS, else 1).")
    var threads: Int?

    @Option(help: "Write the report as JSON to FILE ('-': standard output, instead of the table).")
    var json: String?

    func validate() throws {
        if let r = reps, r <= 0 { throw ValidationError("--reps must be positive, got \(r)") }
        if let w = warmup, w < 0 { throw ValidationError("--warmup must not be negative, got \(w)") }
        if let t = threads, t <= 0 { throw ValidationError("--threads must be positive, got \(t)") }
    }

    func settings(reps defaultReps: Int, warmup defaultWarmup: Int) -> BenchSettings {
        BenchSettings(reps: reps ?? defaultReps, warmup: warmup ?? defaultWarmup,
                      blasThreads: threads ?? ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"].flatMap(Int.init) ?? 1,
                      json: json)
    }

    /// "1,2,3" as integers, nil when any part is not one.
    static func ints(_ s: String) -> [Int]? {
        let parts = s.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        return parts.contains(where: { $0 == nil }) ? nil : parts.map { $0! }
    }
}

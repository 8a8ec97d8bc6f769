import ArgumentParser
import CLISupport
import Data
import Dispatch
import Foundation
import Serving
import Training

/// Where `strata serve` and `strata loadgen` get their model: a trained run,
/// a built-in workload, or a config's model with random weights.
struct ModelSourceOptions: ParsableArguments {
    @Option(help: "A trained run folder: its newest complete checkpoint, every rank's shards merged here.")
    var run: String?

    @Option(help: "A built-in workload with random weights: \(Workload.names.joined(separator: ", ")).")
    var workload: String?

    /// --config: a training config (YAML), its model and data schema with random weights.
    @OptionGroup var configOptions: ConfigOptions
    var config: String? { configOptions.config }
    var overrides: [String] { configOptions.overrides }

    @Option(help: "Seed of the random weights.")
    var seed: UInt64 = 1

    @Option(name: .customLong("memory-budget-bytes"), help: "Refuse a model larger than this (default: half the machine's memory).")
    var memoryBudgetBytes: Int = Int(ProcessInfo.processInfo.physicalMemory / 2)

    /// Numeric options (shared by serve and loadgen) and their allowed values.
    static let ranges: [(String, Allowed, @Sendable (ModelSourceOptions) -> Double?)] = [
        ("--seed", .seed, { Double($0.seed) }),
        ("--memory-budget-bytes", .ints(1...1 << 50), { Double($0.memoryBudgetBytes) }),
    ]

    func validate() throws {
        let given = [run, workload, config].compactMap { $0 }.count
        guard given == 1 else { throw ValidationError("give exactly one of --run, --workload, --config") }
        if let w = workload, Workload.named(w) == nil {
            throw ValidationError("--workload must be one of \(Workload.names.joined(separator: ", ")), got '\(w)'")
        }
    }

    /// The workload whose shape and request look a --config or --run model
    /// gets: its own tables, single-id bags, histories at their maximum.
    func workloadSpec() throws -> Workload {
        if let w = workload { return Workload.named(w)! }
        let c: RunConfig
        if let run {
            c = try Checkpoint.latest(in: run).state.config
        } else {
            c = try loadConfig(config!, overrides)
        }
        let data = try DataSources.load(c.data, seed: c.run.seed)
        let maxHistory = max(1, data.maxSequenceLength)
        return Workload(name: run ?? config!, schema: data.source.schema, model: c.model, lookups: 1,
                        historyLength: maxHistory, maxHistory: maxHistory, note: run.map { "trained run \($0)" } ?? "config \(config!)")
    }

    func load() throws -> ServedModel {
        if let run { return try ServedModel.trained(runDirectory: run, memoryBudgetBytes: memoryBudgetBytes) }
        let w = try workloadSpec()
        return try ServedModel.random(schema: w.schema, model: w.model, seed: seed, maxHistory: w.maxHistory,
                                      memoryBudgetBytes: memoryBudgetBytes, origin: workload.map { "workload \($0)" } ?? w.note)
    }
}

/// Runs async work from a synchronous command (the `strata` root is
/// synchronous: MPI commands own the main thread) and waits for it.
func blockingAwait(_ body: @escaping @Sendable () async throws -> Void) throws {
    final class Box: @unchecked Sendable { var error: Error? }
    let box = Box()
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        do { try await body() } catch { box.error = error }
        done.signal()
    }
    done.wait()
    if let e = box.error { throw e }
}

/// A comma list of CPU numbers and ranges, "0,2-3" -> [0, 2, 3].
func parseCPUs(_ s: String) throws -> [Int] {
    var out: [Int] = []
    for part in s.split(separator: ",") {
        let ends = part.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !ends.isEmpty, ends.allSatisfy({ $0 != nil && $0! >= 0 }) else { throw ValidationError("bad CPU list '\(s)'") }
        out += ends.count == 1 ? [ends[0]!] : Array(ends[0]!...ends[1]!)
    }
    return out
}

import CLISupport
import Collectives
import Evolve
import Foundation

/// GEVO files (`Configs/evolve-*.yaml`) and `--set key=value` into an
/// `EvolveConfig` and a toolchain. One flat mapping, declared once below
/// (`strata evolve --help` lists the keys and defaults); an unknown key or a
/// value of the wrong type or out of range is refused naming file:line.
///
///     kernel: smith_waterman_naive   # embedding_bag, dot_interaction, attention_scores, smith_waterman, smith_waterman_naive
///     measure: runtime               # or static_instructions (deterministic; the repeat tests)
///     population: 32                 # GEVO: 256
///     tolerance: 0.01                # relative error on the training inputs
///     held_out_tolerance: 0.001      # on held-out inputs (alignment scores: exact)
///     timeout: 2                     # CPU seconds per variant run (wall clock: 10x, a backstop)
///     repetitions: 5                 # timed calls per run (minimum kept)
enum EvolveLoader {
    /// The file as decoded: the kernel is required, so until it is given the
    /// config holds a placeholder and `given` tells.
    struct Settings {
        var config = EvolveConfig(evaluation: EvaluationSettings(kernel: KernelName.allCases[0]))
        var llvmBin: String?
        var given: [String: ConfigLoader.Value] = [:]
    }
    typealias Key = DeclaredKey<Settings>

    static let schema = ConfigSchema<Settings>([
        ("kernel", .choice(\.config.evaluation.kernel)), ("measure", .choice(\.config.evaluation.measure)),
        ("population", .int(\.config.population, .ints(2...1_000_000))), ("generations", .int(\.config.generations, .ints(0...1_000_000))),
        ("crossover", .real(\.config.crossoverRate, .fraction)), ("mutation", .real(\.config.mutationRate, .fraction)),
        ("initial_edits", .int(\.config.initialEdits, .ints(1...10_000))), ("elite", .int(\.config.elite, .ints(0...1_000_000))),
        ("seed", .seed(\.config.seed)), ("tolerance", .real(\.config.evaluation.tolerance, .reals(0...1e6))),
        ("held_out_tolerance", .real(\.config.evaluation.heldOutTolerance, .reals(0...1e6))),
        ("timeout", .real(\.config.evaluation.timeout, .above(0, atMost: 86_400))),
        ("repetitions", .int(\.config.evaluation.repetitions, .ints(1...1_000_000))),
        ("train_seeds", .seeds(\.config.evaluation.trainSeeds)), ("held_out_seeds", .seeds(\.config.evaluation.heldOutSeeds)),
        ("minimise_threshold", .real(\.config.minimiseThreshold, .reals(0...1e6))),
        ("final_rounds", .int(\.config.finalRounds, .ints(1...1_000_000))),
        ("final_repetitions", .int(\.config.finalRepetitions, .ints(1...1_000_000))),
        ("verify_new_edits", .bool(\.config.verifyNewEdits)), ("llvm_bin", .string(\.llvmBin)),
    ], record: \.given)

    static func load(file: String, overrides: [String] = []) throws -> (EvolveConfig, Toolchain) {
        var s = Settings()
        try schema.read(file: file, overrides: overrides, into: &s)
        guard s.given["kernel"] != nil else {
            throw InputError("\(file): kernel is required (one of \(KernelName.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        do { try s.config.validate() } catch let err as EvolveError { throw InputError("\(file): \(err.description)") }
        let toolchain = s.llvmBin.map { Toolchain(binDirectory: $0) } ?? .debianLLVM14
        do { try toolchain.check() } catch let err as EvolveError { throw InputError("\(file): \(err.description)") }
        return (s.config, toolchain)
    }
}

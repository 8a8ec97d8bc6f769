import CLISupport
import Collectives
import Evolve
import Foundation
import Yams

/// GEVO files (`Configs/evolve-*.yaml`) into an `EvolveConfig` and a
/// toolchain. One flat mapping; an unknown key or a value of the wrong type is
/// an error naming the file and line.
///
///     kernel: smith_waterman_naive   # embedding_bag, dot_interaction, attention_scores, smith_waterman, smith_waterman_naive
///     measure: runtime               # or static_instructions (deterministic; the repeat tests)
///     population: 32                 # GEVO: 256
///     generations: 8
///     crossover: 0.7
///     mutation: 0.3
///     initial_edits: 3
///     elite: 2
///     seed: 1
///     tolerance: 0.01                # relative error on the training inputs
///     held_out_tolerance: 0.001      # on held-out inputs (alignment scores: exact)
///     timeout: 2                     # CPU seconds per variant run (wall clock: 10x, a backstop)
///     repetitions: 5                 # timed calls per run (minimum kept)
///     train_seeds: [1]
///     held_out_seeds: [1001, 1002]
///     minimise_threshold: 0.01
///     final_rounds: 5
///     final_repetitions: 20
///     verify_new_edits: true
///     llvm_bin: /usr/lib/llvm-14/bin
enum EvolveLoader {
    typealias Value = ConfigLoader.Value

    /// Every key and, for numeric ones, the values allowed (each list element),
    /// checked before anything is decoded.
    static let declared: [(String, Allowed?)] = [
        ("kernel", nil), ("measure", nil), ("population", .ints(2...1_000_000)), ("generations", .ints(0...1_000_000)),
        ("crossover", .fraction), ("mutation", .fraction), ("initial_edits", .ints(1...10_000)), ("elite", .ints(0...1_000_000)),
        ("seed", .seed), ("tolerance", .reals(0...1e6)), ("held_out_tolerance", .reals(0...1e6)), ("timeout", .above(0, atMost: 86_400)),
        ("repetitions", .ints(1...1_000_000)), ("train_seeds", .seed), ("held_out_seeds", .seed),
        ("minimise_threshold", .reals(0...1e6)), ("final_rounds", .ints(1...1_000_000)), ("final_repetitions", .ints(1...1_000_000)),
        ("verify_new_edits", nil), ("llvm_bin", nil),
    ]
    static var keys: [String] { declared.map(\.0) }

    static func load(file: String) throws -> (EvolveConfig, Toolchain) {
        let root = try ConfigLoader.compose(file: file, what: "evolve file")
        guard let top = root.mapping else { throw InputError("\(file):\(root.mark?.line ?? 0): expected a mapping of keys") }
        var values: [String: Value] = [:]
        for (k, v) in top {
            let key = k.scalar?.string ?? "?"
            let origin = "\(file):\(k.mark?.line ?? 0)"
            guard keys.contains(key) else {
                throw InputError("\(origin): unknown key '\(key)' (known: \(keys.joined(separator: ", ")))")
            }
            if let allowed = declared.first(where: { $0.0 == key })?.1 {
                for node in v.sequence ?? [v] {
                    try allowed.check(node.scalar?.string ?? Value.text(node), key: key, at: origin)
                }
            }
            values[key] = Value(node: v, origin: origin)
        }
        guard let kernelValue = values["kernel"] else { throw InputError("\(file): kernel is required (one of \(KernelName.allCases.map(\.rawValue).joined(separator: ", ")))") }
        let kernelText = try kernelValue.string("kernel")
        guard let kernel = KernelName(rawValue: kernelText) else {
            throw InputError("\(kernelValue.origin): kernel must be one of \(KernelName.allCases.map(\.rawValue).joined(separator: ", ")), got '\(kernelText)'")
        }
        var e = EvaluationSettings(kernel: kernel)
        if let v = values["measure"] {
            let s = try v.string("measure")
            guard let m = FitnessMeasure(rawValue: s) else {
                throw InputError("\(v.origin): measure must be one of \(FitnessMeasure.allCases.map(\.rawValue).joined(separator: ", ")), got '\(s)'")
            }
            e.measure = m
        }
        func seeds(_ key: String) throws -> [UInt64]? {
            guard let v = values[key] else { return nil }
            return try v.ints(key).map { s in
                guard s >= 0 else { throw v.fail(key, "a list of non-negative integers") }
                return UInt64(s)
            }
        }
        if let v = values["tolerance"] { e.tolerance = try v.double("tolerance") }
        if let v = values["held_out_tolerance"] { e.heldOutTolerance = try v.double("held_out_tolerance") }
        if let v = values["timeout"] { e.timeout = try v.double("timeout") }
        if let v = values["repetitions"] { e.repetitions = try v.int("repetitions") }
        if let s = try seeds("train_seeds") { e.trainSeeds = s }
        if let s = try seeds("held_out_seeds") { e.heldOutSeeds = s }
        var c = EvolveConfig(evaluation: e)
        if let v = values["population"] { c.population = try v.int("population") }
        if let v = values["generations"] { c.generations = try v.int("generations") }
        if let v = values["crossover"] { c.crossoverRate = try v.double("crossover") }
        if let v = values["mutation"] { c.mutationRate = try v.double("mutation") }
        if let v = values["initial_edits"] { c.initialEdits = try v.int("initial_edits") }
        if let v = values["elite"] { c.elite = try v.int("elite") }
        if let v = values["seed"] { c.seed = try v.uint64("seed") }
        if let v = values["minimise_threshold"] { c.minimiseThreshold = try v.double("minimise_threshold") }
        if let v = values["final_rounds"] { c.finalRounds = try v.int("final_rounds") }
        if let v = values["final_repetitions"] { c.finalRepetitions = try v.int("final_repetitions") }
        if let v = values["verify_new_edits"] { c.verifyNewEdits = try v.bool("verify_new_edits") }
        do { try c.validate() } catch let err as EvolveError { throw InputError("\(file): \(err.description)") }
        var toolchain = Toolchain.debianLLVM14
        if let v = values["llvm_bin"] { toolchain = Toolchain(binDirectory: try v.string("llvm_bin")) }
        do { try toolchain.check() } catch let err as EvolveError { throw InputError("\(file): \(err.description)") }
        return (c, toolchain)
    }
}

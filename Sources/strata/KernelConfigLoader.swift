import CLISupport
import Collectives
import Foundation
import KernelRecommenders
import Yams

/// `strata iae` and `strata distill` settings, decoded from YAML and `--set`
/// into the module's typed values (nothing below the CLI sees a string).
struct KernelRunConfig {
    var source = InteractionSource(path: "../shared/data/movielens")
    /// Fit ∞-AE on this interactions CSV's rows (a Distill-CF summary) instead of every user's train rows.
    var fitPath: String?
    var iae = InfiniteAEConfig()
    var popularity = true
    var distill = DistillConfig()
    /// The paper's hyper-parameter search (distill.search): every combination, selected on validation.
    var search = false
    var temperatures = [0.3, 0.5, 0.7, 5.0]
    var cardinalityRegs = [1e-3, 10.0]
    var drawsGrid = [200, 500, 700]

    /// A MovieLens folder resolves to its ratings file.
    var dataFile: String {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source.path, isDirectory: &isDir), isDir.boolValue else { return source.path }
        for name in ["ml-latest-small-ratings.csv", "ratings.csv"] where FileManager.default.fileExists(atPath: source.path + "/" + name) {
            return source.path + "/" + name
        }
        return source.path + "/ratings.csv"
    }
}

/// Dotted keys (`iae.lambdas`, `distill.sizes`) to setters; unknown keys and
/// wrong types are errors naming the file, line and key (as `ConfigLoader`).
enum KernelConfigLoader {
    typealias Value = ConfigLoader.Value
    typealias Setter = (inout KernelRunConfig, Value, String) throws -> Void
    typealias Key = DeclaredKey<KernelRunConfig>

    static func doubles(_ v: Value, _ k: String) throws -> [Double] {
        guard let seq = v.node.sequence, !seq.isEmpty else { throw v.fail(k, "a non-empty list of numbers") }
        return try seq.map { n in
            guard let x = n.scalar.flatMap({ Double($0.string) }) else { throw v.fail(k, "a non-empty list of numbers") }
            return x
        }
    }

    static func positive(_ v: Value, _ k: String) throws -> Int {
        let x = try v.int(k)
        guard x > 0 else { throw v.fail(k, "a positive integer") }
        return x
    }

    /// Every key: its setter and, for numeric ones, the values allowed (each
    /// list element), checked by `DottedKeys` before the setter runs.
    static let declared: [String: Key] = [
        "data.path": Key { c, v, k in c.source.path = try v.string(k) },
        "data.fit_path": Key { c, v, k in c.fitPath = try v.string(k) },
        "data.seed": Key(.seed) { c, v, k in c.source.seed = try v.uint64(k) },
        "data.min_rating": Key(.reals(0...5, except: "all")) { c, v, k in
            if v.node.scalar?.string.lowercased() == "all" { c.source.feedback = .allRatings } else { c.source.feedback = .minRating(try v.double(k)) }
        },
        "data.min_user_interactions": Key(.ints(1...1_000_000)) { c, v, k in c.source.minUserInteractions = try positive(v, k) },
        "iae.lambdas": Key(.above(0, atMost: 1e12)) { c, v, k in
            let l = try doubles(v, k)
            guard l.allSatisfy({ $0 > 0 }) else { throw v.fail(k, "a list of positive numbers") }
            c.iae.lambdas = l
        },
        "iae.solver": Key { c, v, k in
            let s = try v.string(k)
            if s == "auto" { c.iae.solver = nil; return }
            guard let x = KernelSolver(rawValue: s) else {
                throw InputError("\(v.origin): \(k) must be one of auto, \(KernelSolver.allCases.map(\.rawValue).joined(separator: ", ")), got '\(s)'")
            }
            c.iae.solver = x
        },
        "iae.engine": Key { c, v, k in
            let s = try v.string(k)
            if s == "auto" { c.iae.engine = nil; return }
            guard let x = KernelEngine(rawValue: s) else {
                throw InputError("\(v.origin): \(k) must be one of auto, \(KernelEngine.allCases.map(\.rawValue).joined(separator: ", ")), got '\(s)'")
            }
            c.iae.engine = x
        },
        "iae.grid_block": Key(.ints(1...1 << 20)) { c, v, k in c.iae.gridBlock = try positive(v, k) },
        "iae.ks": Key(.ints(1...1_000_000)) { c, v, k in
            let ks = try v.ints(k)
            guard !ks.isEmpty, ks.allSatisfy({ $0 > 0 }) else { throw v.fail(k, "a list of positive integers") }
            c.iae.ks = ks
        },
        "iae.auc_negatives": Key(.ints(1...1_000_000)) { c, v, k in c.iae.aucNegatives = try positive(v, k) },
        "iae.seed": Key(.seed) { c, v, k in c.iae.seed = try v.uint64(k) },
        "iae.block_rows": Key(.ints(1...1 << 24)) { c, v, k in c.iae.blockRows = try positive(v, k) },
        "iae.memory_budget_mib": Key(.ints(1...1 << 30)) { c, v, k in c.iae.memoryBudgetBytes = try positive(v, k) << 20 },
        "iae.sigma_w2": Key(.above(0, atMost: 1e6)) { c, v, k in c.iae.sigmaW2 = try v.double(k) },
        "iae.sigma_b2": Key(.reals(0...1e6)) { c, v, k in c.iae.sigmaB2 = try v.double(k) },
        "iae.popularity": Key { c, v, k in c.popularity = try v.bool(k) },
        "distill.sizes": Key(.ints(1...1_000_000)) { c, v, k in
            let s = try v.ints(k)
            guard !s.isEmpty, s.allSatisfy({ $0 > 0 }) else { throw v.fail(k, "a list of positive integers") }
            c.distill.sizes = s
        },
        "distill.steps": Key(.ints(0...10_000_000)) { c, v, k in c.distill.steps = try v.int(k) },
        "distill.draws": Key(.ints(1...1_000_000)) { c, v, k in c.distill.draws = try positive(v, k) },
        "distill.temperature": Key(.above(0, atMost: 1e6)) { c, v, k in c.distill.temperature = try v.double(k) },
        "distill.learning_rate": Key(.above(0, atMost: 1e6)) { c, v, k in c.distill.learningRate = try v.double(k) },
        "distill.init_scale": Key(.reals(0...1e6)) { c, v, k in c.distill.initScale = try v.double(k) },
        "distill.cardinality_reg": Key(.reals(0...1e6)) { c, v, k in c.distill.cardinalityReg = try v.double(k) },
        "distill.lambda": Key(.above(0, atMost: 1e12)) { c, v, k in c.distill.lambda = try v.double(k) },
        "distill.eval_every": Key(.ints(1...10_000_000)) { c, v, k in c.distill.evalEvery = try positive(v, k) },
        "distill.threshold": Key(.above(0, atMost: 1e6)) { c, v, k in c.distill.threshold = try v.double(k) },
        "distill.seed": Key(.seed) { c, v, k in c.distill.seed = try v.uint64(k) },
        "distill.baselines": Key { c, v, k in c.distill.baselines = try v.bool(k) },
        "distill.baseline_seeds": Key(.ints(1...10_000)) { c, v, k in c.distill.baselineSeeds = try positive(v, k) },
        "distill.patience": Key(.ints(1...1_000_000)) { c, v, k in c.distill.patience = try positive(v, k) },
        "distill.binary_summary": Key { c, v, k in c.distill.binarySummary = try v.bool(k) },
        "distill.search": Key { c, v, k in c.search = try v.bool(k) },
        "distill.temperatures": Key(.above(0, atMost: 1e6)) { c, v, k in
            let l = try doubles(v, k)
            guard !l.isEmpty else { throw v.fail(k, "a list of positive numbers") }
            c.temperatures = l
        },
        "distill.cardinality_regs": Key(.reals(0...1e6)) { c, v, k in c.cardinalityRegs = try doubles(v, k) },
        "distill.draws_grid": Key(.ints(1...1_000_000)) { c, v, k in
            let l = try v.ints(k)
            guard !l.isEmpty else { throw v.fail(k, "a list of positive integers") }
            c.drawsGrid = l
        },
    ]

    static var setters: [String: Setter] { declared.mapValues(\.set) }

    static func load(file: String?, overrides: [String]) throws -> KernelRunConfig {
        var config = KernelRunConfig()
        try DottedKeys(setters: setters, ranges: declared.compactMapValues(\.allowed)).read(file: file, overrides: overrides, into: &config)
        return config
    }
}

import CLISupport
import Collectives
import KernelRecommenders

/// Every `strata iae` / `strata distill` key, declared once: its allowed
/// values when numeric (each list element) and where it goes. Decoded by
/// `ConfigSchema` (YAML nesting or dotted keys, `--set`, file:line refusals).
extension KernelConfigLoader {
    typealias Key = DeclaredKey<KernelRunConfig>

    static let schema = ConfigSchema<KernelRunConfig>(data + iae + distill)

    static let data: [(String, Key)] = [
        ("data.path", .string(\.source.path)),
        ("data.fit_path", .string(\.fitPath)),
        ("data.seed", .seed(\.source.seed)),
        ("data.min_rating", Key(.reals(0...5, except: "all")) { c, v, k in
            if v.node.scalar?.string.lowercased() == "all" { c.source.feedback = .allRatings } else { c.source.feedback = .minRating(try v.double(k)) }
        }),
        ("data.min_user_interactions", .int(\.source.minUserInteractions, .ints(1...1_000_000))),
    ]

    static let iae: [(String, Key)] = [
        ("iae.lambdas", .reals(\.iae.lambdas, .above(0, atMost: 1e12))),
        ("iae.solver", Key { c, v, k in c.iae.solver = try v.oneOf(k, [(name: "auto", value: nil)] + KernelSolver.allCases.map { (name: $0.rawValue, value: Optional($0)) }) }),
        ("iae.engine", Key { c, v, k in c.iae.engine = try v.oneOf(k, [(name: "auto", value: nil)] + KernelEngine.allCases.map { (name: $0.rawValue, value: Optional($0)) }) }),
        ("iae.grid_block", .int(\.iae.gridBlock, .ints(1...1 << 20))),
        ("iae.ks", .ints(\.iae.ks, .ints(1...1_000_000))),
        ("iae.auc_negatives", .int(\.iae.aucNegatives, .ints(1...1_000_000))),
        ("iae.seed", .seed(\.iae.seed)),
        ("iae.block_rows", .int(\.iae.blockRows, .ints(1...1 << 24))),
        ("iae.memory_budget_mib", Key(.ints(1...1 << 30)) { c, v, k in c.iae.memoryBudgetBytes = try v.int(k) << 20 }),
        ("iae.sigma_w2", .real(\.iae.sigmaW2, .above(0, atMost: 1e6))),
        ("iae.sigma_b2", .real(\.iae.sigmaB2, .reals(0...1e6))),
        ("iae.popularity", .bool(\.popularity)),
        ("iae.phase_timeout_seconds", .real(\.phaseTimeoutSeconds, .reals(0...1e9))),
    ]

    static let distill: [(String, Key)] = [
        ("distill.sizes", .ints(\.distill.sizes, .ints(1...1_000_000))),
        ("distill.steps", .int(\.distill.steps, .ints(0...10_000_000))),
        ("distill.draws", .int(\.distill.draws, .ints(1...1_000_000))),
        ("distill.temperature", .real(\.distill.temperature, .above(0, atMost: 1e6))),
        ("distill.learning_rate", .real(\.distill.learningRate, .above(0, atMost: 1e6))),
        ("distill.init_scale", .real(\.distill.initScale, .reals(0...1e6))),
        ("distill.cardinality_reg", .real(\.distill.cardinalityReg, .reals(0...1e6))),
        ("distill.lambda", .real(\.distill.lambda, .above(0, atMost: 1e12))),
        ("distill.eval_every", .int(\.distill.evalEvery, .ints(1...10_000_000))),
        ("distill.threshold", .real(\.distill.threshold, .above(0, atMost: 1e6))),
        ("distill.seed", .seed(\.distill.seed)),
        ("distill.baselines", .bool(\.distill.baselines)),
        ("distill.baseline_seeds", .int(\.distill.baselineSeeds, .ints(1...10_000))),
        ("distill.patience", .int(\.distill.patience, .ints(1...1_000_000))),
        ("distill.binary_summary", .bool(\.distill.binarySummary)),
        ("distill.search", .bool(\.search)),
        ("distill.temperatures", .reals(\.temperatures, .above(0, atMost: 1e6))),
        ("distill.cardinality_regs", .reals(\.cardinalityRegs, .reals(0...1e6))),
        ("distill.draws_grid", .ints(\.drawsGrid, .ints(1...1_000_000))),
    ]
}

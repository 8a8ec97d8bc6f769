import Collectives
import Foundation

/// ∞-AE's settings: the λ grid, the solver and the evaluation.
public struct InfiniteAEConfig: Sendable, Equatable {
    /// Candidates for λ (the regulariser is λ · mean diagonal of K), chosen by validation HR@100.
    public var lambdas: [Double] = [1e-5, 1e-3, 0.1, 1, 5, 50]
    /// nil: the cheaper for the grid's length (`KernelSolver.cheaper`).
    public var solver: KernelSolver?
    public var ks: [Int] = [10, 100]
    public var aucNegatives = 50
    public var seed: UInt64 = 42
    public var blockRows = 256
    /// Per-rank memory budget for the kernel and its factorisation (nil: none).
    public var memoryBudgetBytes: Int?
    /// Where the kernel is factorised; nil: replicated when it fits the budget, else ScaLAPACK.
    public var engine: KernelEngine?
    /// ScaLAPACK's block size on the 2-D grid.
    public var gridBlock = 64
    public var sigmaW2 = 2.0
    public var sigmaB2 = 0.01

    public init() {}

    /// The metric λ is chosen by: HR at the largest k (HR@100, as the paper).
    public var selectionK: Int { ks.max() ?? 100 }
}

/// One λ's validation result.
public struct LambdaResult: Sendable, Codable, Equatable {
    public var lambda: Double
    public var validation: RankingMetrics
    public var seconds: Double
    /// This rank's CPU seconds for the λ.
    public var cpuSeconds: Double
}

/// A fitted ∞-AE's results: validation per λ, the chosen λ, test metrics, timings.
public struct InfiniteAEResult: Sendable, Codable, Equatable {
    public var fitUsers: Int
    public var lambdas: [LambdaResult]
    public var chosenLambda: Double
    public var test: RankingMetrics
    public var timings: [String: Double]
    /// Where the kernel was factorised: "replicated", or "scalapack R x C grid, block B".
    public var engine = "replicated"
    /// The solver used ("eigen" or "cholesky").
    public var solver = "eigen"
    /// GFLOP/s of each phase on this rank (its share of the dense operation counts over its seconds).
    public var gflops: [String: Double] = [:]

    public init(fitUsers: Int, lambdas: [LambdaResult], chosenLambda: Double, test: RankingMetrics, timings: [String: Double]) {
        self.fitUsers = fitUsers
        self.lambdas = lambdas
        self.chosenLambda = chosenLambda
        self.test = test
        self.timings = timings
    }
}

/// ∞-AE as the paper's code runs it: fit on the train rows (of every user, or
/// of a given fit set such as a Distill-CF summary), pick λ by validation
/// HR@100 with the train items as each user's context, then test with train +
/// validation as the context.
public enum InfiniteAE {
    /// `fit`: nil trains on every user's train rows; otherwise these rows
    /// (identical on every rank) over the same items.
    public static func run(_ data: InteractionData, fit given: SparseRows? = nil, comm: Communicator,
                           config: InfiniteAEConfig, progress: ((LambdaResult) -> Void)? = nil) throws -> InfiniteAEResult {
        let start = monotonicSeconds(), cpuStart = cpuSeconds()
        let mine = KernelRegression.block(of: data.users, rank: comm.rank, size: comm.size)
        let fitRows = given ?? data.train
        // λ is chosen on validation HR: with no validation rows every λ scores 0 and the "choice" is arbitrary.
        guard data.validation.nonZeros > 0 || config.lambdas.count == 1 else {
            throw InputError("the validation split is empty (users need about 10 interactions for one validation item, "
                             + "or a split column with validation rows): λ cannot be chosen among \(config.lambdas); give one λ (iae.lambdas: [x])")
        }
        let model = try fitModel(data, fit: fitRows, comm: comm, config: config)
        let evaluator = makeEvaluator(data, config: config)
        let cpuFit = cpuSeconds()
        // Scoring (the products) apart from ranking and the metrics.
        var predictSeconds = 0.0, predictFlops = 0.0, evaluateSeconds = 0.0
        func evaluate(_ set: EvaluationSet, _ c: KernelRegression.Coefficients) -> RankingMetrics {
            let t0 = monotonicSeconds()
            defer { evaluateSeconds += monotonicSeconds() - t0 }
            return evaluator.evaluate(set, comm: comm) { rows, out in
                let t1 = monotonicSeconds()
                model.predict(c, rows: rows, into: out)
                predictSeconds += monotonicSeconds() - t1
                predictFlops += model.predictFlops(rows: rows.count)
            }
        }
        // Validation: the context is the train rows, the same rows as the fit when fitting on every user.
        var t0 = monotonicSeconds()
        let validContext = try model.prepare(data.train.slice(mine), sameAsFit: given == nil ? mine : nil)
        let validSet = EvaluationSet.make(data, rows: mine, test: false)
        let prepareSeconds = monotonicSeconds() - t0
        var results: [LambdaResult] = []
        var best: (result: LambdaResult, coefficients: KernelRegression.Coefficients)?
        for lambda in config.lambdas {
            t0 = monotonicSeconds()
            let c0 = cpuSeconds()
            let coefficients = try model.coefficients(validContext, lambda: lambda)
            let metrics = evaluate(validSet, coefficients)
            let r = LambdaResult(lambda: lambda, validation: metrics, seconds: monotonicSeconds() - t0, cpuSeconds: cpuSeconds() - c0)
            results.append(r)
            progress?(r)
            // Ties go to the smaller λ, whichever comes first in the grid.
            let x = r.validation.hitRate(at: config.selectionK), y = best?.result.validation.hitRate(at: config.selectionK) ?? -.infinity
            if best == nil || x > y || (x == y && r.lambda < best!.result.lambda) { best = (r, coefficients) }
        }
        let chosen = best!
        best = nil
        // Test: train + validation as the context (their sum, as the released
        // code: a pair in both counts 2) and as the excluded items; the Cholesky
        // path reuses the chosen λ's solve (W does not depend on the context).
        t0 = monotonicSeconds()
        let cpuTest = cpuSeconds()
        let testContext = try model.prepare(data.train.slice(mine).adding(data.validation.slice(mine)))
        let coefficients = try model.coefficients(testContext, lambda: chosen.result.lambda, reuse: chosen.coefficients)
        let test = evaluate(EvaluationSet.make(data, rows: mine, test: true), coefficients)
        let testSeconds = monotonicSeconds() - t0
        let t = model.timings
        var result = InfiniteAEResult(fitUsers: fitRows.rows, lambdas: results, chosenLambda: chosen.result.lambda, test: test, timings: [
            "exchange_s": t.exchange, "gram_s": t.gram.seconds, "factor_s": t.factor.seconds, "solve_s": t.solve.seconds,
            "project_s": t.project.seconds,
            "predict_s": predictSeconds, "metrics_s": evaluateSeconds - predictSeconds,
            "prepare_validation_s": prepareSeconds, "lambdas_s": results.reduce(0) { $0 + $1.seconds },
            "test_s": testSeconds, "total_s": monotonicSeconds() - start,
            // This rank's CPU seconds (user + system): the figures wall time hides on shared cores.
            "fit_cpu_s": cpuFit - cpuStart, "lambdas_cpu_s": results.reduce(0) { $0 + $1.cpuSeconds },
            "test_cpu_s": cpuSeconds() - cpuTest, "total_cpu_s": cpuSeconds() - cpuStart,
        ])
        result.engine = model.engineDescription
        result.solver = model.solver.rawValue
        result.gflops = ["gram": t.gram.gflops, "factor": t.factor.gflops, "solve": t.solve.gflops, "project": t.project.gflops,
                         "predict": PhaseCost(seconds: predictSeconds, flops: predictFlops).gflops].filter { $0.value > 0 }
        return result
    }

    /// λ by validation alone (no test): the chosen λ and its validation metrics.
    public static func validate(_ data: InteractionData, fit: SparseRows, comm: Communicator,
                                config: InfiniteAEConfig) throws -> (lambda: Double, metrics: RankingMetrics) {
        let mine = KernelRegression.block(of: data.users, rank: comm.rank, size: comm.size)
        let model = try fitModel(data, fit: fit, comm: comm, config: config)
        let evaluator = makeEvaluator(data, config: config)
        let context = try model.prepare(data.train.slice(mine))
        let set = EvaluationSet.make(data, rows: mine, test: false)
        var best: (lambda: Double, metrics: RankingMetrics)?
        for lambda in config.lambdas {
            let c = try model.coefficients(context, lambda: lambda)
            let m = evaluator.evaluate(set, comm: comm) { rows, out in model.predict(c, rows: rows, into: out) }
            let x = m.hitRate(at: config.selectionK), y = best?.metrics.hitRate(at: config.selectionK) ?? -.infinity
            if best == nil || x > y || (x == y && lambda < best!.lambda) { best = (lambda, m) }
        }
        return best!
    }

    /// The kernel regression on `fit` (each rank passes its block of the rows).
    static func fitModel(_ data: InteractionData, fit: SparseRows, comm: Communicator, config: InfiniteAEConfig) throws -> KernelRegression {
        try KernelRegression(localFit: fit.slice(KernelRegression.block(of: fit.rows, rank: comm.rank, size: comm.size)), comm: comm,
                             ntk: NTK(inputs: data.items, sigmaW2: config.sigmaW2, sigmaB2: config.sigmaB2),
                             solver: config.solver ?? .cheaper(fitRows: fit.rows, items: data.items, lambdas: config.lambdas.count),
                             contextRowsPerRank: (data.users + comm.size - 1) / comm.size,
                             memoryBudgetBytes: config.memoryBudgetBytes, blockRows: config.blockRows,
                             engine: config.engine, gridBlock: config.gridBlock)
    }

    static func makeEvaluator(_ data: InteractionData, config: InfiniteAEConfig) -> RankingEvaluator {
        RankingEvaluator(ks: config.ks, inversePropensity: inversePropensities(data),
                         aucNegatives: config.aucNegatives, seed: config.seed, blockRows: config.blockRows)
    }

    /// Inverse propensities from the train counts of every item.
    public static func inversePropensities(_ data: InteractionData) -> [Double] {
        RankingMetrics.inversePropensities(itemCounts: itemCounts(data.train))
    }

    static func itemCounts(_ rows: SparseRows) -> [Int] {
        var counts = [Int](repeating: 0, count: rows.columns)
        for i in rows.indices { counts[Int(i)] += 1 }
        return counts
    }

    /// The popularity baseline on the test split: every user scores each item
    /// by its number of train interactions.
    public static func popularity(_ data: InteractionData, comm: Communicator, config: InfiniteAEConfig) -> RankingMetrics {
        let mine = KernelRegression.block(of: data.users, rank: comm.rank, size: comm.size)
        let counts = itemCounts(data.train).map(Double.init)
        return makeEvaluator(data, config: config).evaluate(EvaluationSet.make(data, rows: mine, test: true), comm: comm) { rows, out in
            for i in 0..<rows.count { for j in 0..<counts.count { out[i * counts.count + j] = counts[j] } }
        }
    }
}

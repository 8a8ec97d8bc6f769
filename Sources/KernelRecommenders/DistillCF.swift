import Collectives
import Foundation
import Tensors

/// Distill-CF's settings (defaults from the paper's released code, noveens/distill_cf).
public struct DistillConfig: Sendable, Equatable {
    /// Summary sizes (synthetic users) to distill, one after the other.
    public var sizes = [10, 25, 50, 100, 200]
    /// Adam steps per size at most (the released default: 500, with `patience`).
    public var steps = 500
    /// Gumbel draws per synthetic user (the released `num_per_user`: 200).
    public var draws = 200
    /// Gumbel-softmax temperature. The paper's grid is 0.3, 0.5, 0.7, 5; its file
    /// default of 10 makes every draw nearly uniform over the items, so 0.5.
    public var temperature = 0.5
    public var learningRate = 0.04
    /// Initial logits: this times the seed users' 0/1 train rows (the released code: 1).
    public var initScale = 1.0
    public var cardinalityReg = 1e-3
    /// λ inside the distillation loss; nil: as the released code, the grid's
    /// pick for the seed users, then re-picked at every validation (the grid's
    /// best for the sampled summary) and trained on from there.
    public var lambda: Double?
    /// Validation steps: every `evalEvery` (the released `log_freq`, 40) and
    /// 25, 50, ..., 200 (the released code's fixed early checks).
    public var evalEvery = 40
    /// Stop when a validation finds no improvement this many steps after the best (the released 150).
    public var patience = 150
    /// Validate and test the continuous sampled summary (the released code);
    /// true: its entries at or above `threshold` as a binary summary instead.
    public var binarySummary = false
    /// A summary entry (clipped sum of draws) at or above this is an
    /// interaction of the exported summary (always binary: a data set).
    public var threshold = 0.5
    public var seed: UInt64 = 42
    /// Also fit ∞-AE on random (`baselineSeeds` draws) and on most-active real users of each size.
    public var baselines = true
    public var baselineSeeds = 5

    public init() {}

    /// Whether step `step` validates (the released schedule).
    public func validates(step: Int) -> Bool {
        (step % 25 == 0 && step <= 200) || step % evalEvery == 0 || step >= steps
    }
}

/// One Distill-CF step (a JSON line of the run).
public struct DistillStep: Sendable, Codable, Equatable {
    public var size: Int
    public var step: Int
    public var loss: Double
    public var seconds: Double
    /// Set on validation steps: HR at the selection k, the λ it picked (the
    /// loss's λ from then on) and the binary export's interactions.
    public var validationHitRate: Double?
    public var lambda: Double?
    public var summaryInteractions: Int?
}

/// Test nDCG at the first k over seeds: mean, smallest and largest.
public struct SeedSpread: Sendable, Codable, Equatable {
    public var seeds: Int
    public var mean: Double
    public var min: Double
    public var max: Double

    public init(_ values: [Double]) {
        seeds = values.count
        mean = values.reduce(0, +) / Double(Swift.max(values.count, 1))
        min = values.min() ?? .nan
        max = values.max() ?? .nan
    }
}

/// One summary size: the distilled summary's ∞-AE and the baselines beside it.
public struct DistillSizeResult: Sendable, Codable, Equatable {
    public var size: Int
    public var trainLambda: Double
    public var bestStep: Int
    public var summaryInteractions: Int
    public var firstLoss: Double
    public var lastLoss: Double
    public var distilled: InfiniteAEResult
    /// Random real users of the same size: the first seed's run, and test
    /// nDCG@(first k) over `DistillConfig.baselineSeeds` seeds.
    public var random: InfiniteAEResult?
    public var randomSpread: SeedSpread?
    public var mostActive: InfiniteAEResult?
    public var seconds: Double
    /// Best validation HR at the selection k, and the settings the run used.
    public var validationHitRate = Double.nan
    public var temperature = Double.nan
    public var cardinalityReg = Double.nan
    public var draws = 0
    public var stoppedAt = 0

    public init(size: Int, trainLambda: Double, bestStep: Int, summaryInteractions: Int, firstLoss: Double, lastLoss: Double,
                distilled: InfiniteAEResult, random: InfiniteAEResult?, mostActive: InfiniteAEResult?, seconds: Double) {
        self.size = size
        self.trainLambda = trainLambda
        self.bestStep = bestStep
        self.summaryInteractions = summaryInteractions
        self.firstLoss = firstLoss
        self.lastLoss = lastLoss
        self.distilled = distilled
        self.random = random
        self.mostActive = mostActive
        self.seconds = seconds
    }
}

/// Distill-CF: learns m synthetic users (logits over the items) so that ∞-AE
/// fitted on their Gumbel-softmax draws in closed form predicts the real
/// users' train rows; Adam on the logits. As the released code: the sampled
/// (continuous) summary is validated, λ re-picked at each validation and
/// trained on, the best sample kept, and training stops after `patience`
/// steps without improvement. Each rank holds a block of the real users (the
/// loss's targets) and a block of the synthetic users (their draws and Adam
/// state); draws are exchanged by allgatherv and the gradient's per-user sums
/// by allreduce.
public enum DistillCF {
    /// What a distillation keeps: the summary ∞-AE is validated on (continuous
    /// or binary), its binary export, and how it got there.
    public struct Distilled {
        public var summary: SparseRows
        public var export: SparseRows
        public var validationHitRate: Double
        public var bestStep: Int
        public var stoppedAt: Int
        public var lambda: Double
        public var firstLoss: Double
        public var lastLoss: Double
    }

    /// Distills (or takes `given`, a distillation with `config`), tests the
    /// summary and (with `config.baselines`) random and most-active users of
    /// the same size. Returns the binary export.
    public static func run(_ data: InteractionData, size m: Int, config: DistillConfig, iae: InfiniteAEConfig,
                           comm: Communicator, given: Distilled? = nil,
                           progress: ((DistillStep) -> Void)? = nil) throws -> (summary: SparseRows, result: DistillSizeResult) {
        let start = monotonicSeconds()
        let d = try given ?? distill(data, size: m, config: config, iae: iae, comm: comm, progress: progress)
        let distilled = try InfiniteAE.run(data, fit: d.summary, comm: comm, config: iae)
        var random: InfiniteAEResult?, spread: SeedSpread?, active: InfiniteAEResult?
        if config.baselines {
            let k = iae.ks.first ?? 10
            var figures: [Double] = []
            for s in 0..<max(config.baselineSeeds, 1) {
                let seed = config.seed &+ 7_919 &* UInt64(m) &+ UInt64(s) &* 104_729
                let r = try InfiniteAE.run(data, fit: data.train.select(randomUsers(data.users, count: m, seed: seed)), comm: comm, config: iae)
                if s == 0 { random = r }
                figures.append(r.test.ndcg(at: k))
            }
            spread = SeedSpread(figures)
            active = try InfiniteAE.run(data, fit: data.train.select(mostActiveUsers(data.train, count: m)), comm: comm, config: iae)
        }
        var result = DistillSizeResult(size: m, trainLambda: d.lambda, bestStep: d.bestStep, summaryInteractions: d.export.nonZeros,
                                       firstLoss: d.firstLoss, lastLoss: d.lastLoss, distilled: distilled, random: random,
                                       mostActive: active, seconds: monotonicSeconds() - start)
        result.randomSpread = spread
        result.validationHitRate = d.validationHitRate
        (result.temperature, result.cardinalityReg, result.draws, result.stoppedAt) = (config.temperature, config.cardinalityReg, config.draws, d.stoppedAt)
        return (d.export, result)
    }

    /// The paper's hyper-parameter search: every (temperature, cardinality
    /// weight, draws) distilled, the one with the best validation HR kept and
    /// only it tested (with the baselines). `onCandidate` sees each candidate.
    public static func search(_ data: InteractionData, size m: Int, config: DistillConfig, temperatures: [Double],
                              cardinalityRegs: [Double], draws: [Int], iae: InfiniteAEConfig, comm: Communicator,
                              onCandidate: ((DistillConfig, Distilled) -> Void)? = nil) throws -> (summary: SparseRows, result: DistillSizeResult) {
        var best: (config: DistillConfig, distilled: Distilled)?
        for t in temperatures {
            for c in cardinalityRegs {
                for n in draws {
                    var candidate = config
                    (candidate.temperature, candidate.cardinalityReg, candidate.draws) = (t, c, n)
                    let d = try distill(data, size: m, config: candidate, iae: iae, comm: comm)
                    onCandidate?(candidate, d)
                    if best == nil || d.validationHitRate > best!.distilled.validationHitRate { best = (candidate, d) }
                }
            }
        }
        return try run(data, size: m, config: best!.config, iae: iae, comm: comm, given: best!.distilled)
    }

    /// The distillation alone: validation only, no test.
    public static func distill(_ data: InteractionData, size m: Int, config: DistillConfig, iae: InfiniteAEConfig,
                               comm: Communicator, progress: ((DistillStep) -> Void)? = nil) throws -> Distilled {
        guard m <= data.users else { throw InputError("distill.sizes: \(m) synthetic users is more than the \(data.users) real users") }
        let d = data.items
        let targetsBlock = KernelRegression.block(of: data.users, rank: comm.rank, size: comm.size)
        var targets = [Double](repeating: 0, count: targetsBlock.count * d)
        targets.withUnsafeMutableBufferPointer { data.train.densify(targetsBlock, into: $0.baseAddress!) }
        // Start from m real users' train rows, as the paper.
        let initial = data.train.select(randomUsers(data.users, count: m, seed: config.seed &+ UInt64(m)))
        let mine = KernelRegression.block(of: m, rank: comm.rank, size: comm.size)
        var logits = [Double](repeating: 0, count: mine.count * d)
        logits.withUnsafeMutableBufferPointer { initial.densify(mine, into: $0.baseAddress!) }
        for i in logits.indices { logits[i] *= config.initScale }
        var lambda = try config.lambda ?? InfiniteAE.validate(data, fit: initial, comm: comm, config: iae).lambda
        let firstLambda = lambda
        let gumbel = GumbelDraws(temperature: config.temperature, draws: config.draws, items: d, seed: config.seed)
        var adam = Adam(count: logits.count, learningRate: config.learningRate)
        var pre = [Double](repeating: 0, count: mine.count * d)
        var dz = [Double](repeating: 0, count: mine.count * d)
        var best: (hr: Double, step: Int, summary: SparseRows, export: SparseRows)?
        var firstLoss = Double.nan, lastLoss = Double.nan, stoppedAt = 0
        // The whole summary, this rank's rows drawn with `step`'s noise, clipped at 1.
        func sample(step: Int) -> [Double] {
            logits.withUnsafeBufferPointer { z in
                pre.withUnsafeMutableBufferPointer { gumbel.forward(logits: z.baseAddress!, rows: mine, items: d, step: step, into: $0.baseAddress!) }
            }
            return comm.allgatherv(.kernel, pre.map { min($0, 1) })
        }
        for step in 1...max(config.steps, 1) {
            let t0 = monotonicSeconds()
            stoppedAt = step
            let loss = DistillLoss(ntk: NTK(inputs: d, sigmaW2: iae.sigmaW2, sigmaB2: iae.sigmaB2), lambda: lambda,
                                   cardinalityReg: config.cardinalityReg,
                                   interactionsPerUser: Double(data.train.nonZeros) / Double(data.users), totalTargets: data.users)
            let summary = sample(step: step)
            let (value, ds) = loss.evaluate(summary: summary, rows: m, targets: targets, targetRows: targetsBlock.count, comm: comm,
                                            gradient: config.steps > 0)
            // Every rank holds the same reduced loss, so every rank stops here together.
            guard value.isFinite else {
                throw InputError("distill: summary size \(m), step \(step): the loss is \(value), not a finite number "
                                 + "(distill.learning_rate \(config.learningRate), init_scale \(config.initScale) and temperature \(config.temperature) "
                                 + "are the usual causes); nothing is reported for a diverged summary")
            }
            if step == 1 { firstLoss = value }
            lastLoss = value
            var record = DistillStep(size: m, step: step, loss: value, seconds: 0)
            if config.steps > 0 {
                // Through the clip (hard-tanh passes the gradient below 1) and the draws.
                var g = Array(ds[(mine.lowerBound * d)..<(mine.upperBound * d)])
                for i in g.indices where pre[i] >= 1 { g[i] = 0 }
                logits.withUnsafeBufferPointer { z in
                    dz.withUnsafeMutableBufferPointer {
                        gumbel.backward(logits: z.baseAddress!, rows: mine, items: d, step: step, gradient: g, into: $0.baseAddress!)
                    }
                }
                adam.step(&logits, gradient: dz)
            }
            var stop = false
            if config.validates(step: step) {
                // As the released code: a sample of the updated logits with the next step's noise.
                let drawn = sample(step: step + 1)
                let export = binarize(drawn, rows: m, items: d, threshold: config.threshold)
                let fit = config.binarySummary ? export : continuous(drawn, rows: m, items: d)
                let (picked, metrics) = try InfiniteAE.validate(data, fit: fit, comm: comm, config: iae)
                let hr = metrics.hitRate(at: iae.selectionK)
                if config.lambda == nil { lambda = picked }
                (record.validationHitRate, record.lambda, record.summaryInteractions) = (hr, picked, export.nonZeros)
                if best == nil || hr > best!.hr { best = (hr, step, fit, export) } else if step - best!.step >= config.patience { stop = true }
            }
            record.seconds = monotonicSeconds() - t0
            progress?(record)
            if stop { break }
        }
        let chosen = best!
        return Distilled(summary: chosen.summary, export: chosen.export, validationHitRate: chosen.hr, bestStep: chosen.step,
                         stoppedAt: stoppedAt, lambda: firstLambda, firstLoss: firstLoss, lastLoss: lastLoss)
    }

    /// A dense summary's non-zero entries with their values (the continuous summary).
    public static func continuous(_ s: [Double], rows: Int, items: Int) -> SparseRows {
        var out = SparseRows(columns: items)
        for j in 0..<rows {
            let kept = (0..<items).filter { s[j * items + $0] != 0 }
            out.append(row: kept.map(Int32.init), values: kept.map { s[j * items + $0] })
        }
        return out
    }

    /// Entries at or above `threshold` of a dense summary, as binary rows.
    public static func binarize(_ s: [Double], rows: Int, items: Int, threshold: Double) -> SparseRows {
        SparseRows(columns: items, rows: (0..<rows).map { j in (0..<items).filter { s[j * items + $0] >= threshold }.map(Int32.init) })
    }

    /// `count` distinct users of `users`, seeded (the same on every rank).
    public static func randomUsers(_ users: Int, count: Int, seed: UInt64) -> [Int] {
        Array((0..<users).sorted { StrataRNG.hash(seed: seed, stream: 0xd15, index: UInt64($0)) < StrataRNG.hash(seed: seed, stream: 0xd15, index: UInt64($1)) }
            .prefix(count)).sorted()
    }

    /// The `count` users with the most train interactions (ties to the lower index).
    public static func mostActiveUsers(_ train: SparseRows, count: Int) -> [Int] {
        Array((0..<train.rows).sorted { (train.count($0), -$0) > (train.count($1), -$1) }.prefix(count)).sorted()
    }
}

/// Adam (β1 0.9, β2 0.999, ε 1e-8, as jax's `optimizers.adam`) over a flat array.
public struct Adam: Sendable {
    public var learningRate: Double
    var m: [Double], v: [Double]
    var t = 0

    public init(count: Int, learningRate: Double) {
        self.learningRate = learningRate
        m = [Double](repeating: 0, count: count)
        v = [Double](repeating: 0, count: count)
    }

    public mutating func step(_ x: inout [Double], gradient g: [Double]) {
        t += 1
        let c1 = 1 - pow(0.9, Double(t)), c2 = 1 - pow(0.999, Double(t))
        for i in x.indices {
            m[i] = 0.9 * m[i] + 0.1 * g[i]
            v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i]
            x[i] -= learningRate * (m[i] / c1) / ((v[i] / c2).squareRoot() + 1e-8)
        }
    }
}

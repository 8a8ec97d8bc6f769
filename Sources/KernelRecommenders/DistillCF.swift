import Collectives
import Foundation
import Tensors

/// Distill-CF's settings (defaults from the paper's code where it has them).
public struct DistillConfig: Sendable, Equatable {
    /// Summary sizes (synthetic users) to distill, one after the other.
    public var sizes = [10, 25, 50, 100, 200]
    /// Adam steps per size (the paper: up to 500 with patience 150).
    public var steps = 150
    /// Gumbel draws per synthetic user (the paper's `num_per_user`: 200).
    public var draws = 200
    /// Gumbel-softmax temperature. The paper's grid is 0.3, 0.5, 0.7, 5; its file
    /// default of 10 makes every draw nearly uniform over the items, so 0.5.
    public var temperature = 0.5
    public var learningRate = 0.04
    /// Initial logits: this times the seed users' 0/1 train rows. The paper starts
    /// at 1; with ~10,000 items (ml-latest-small) a weight of e^(1/τ) on a user's
    /// ~100 items leaves ~90 % of the first draws on random items, so the start is
    /// noise rather than the seed users. 5 puts nearly every first draw on them.
    public var initScale = 5.0
    public var cardinalityReg = 1e-3
    /// λ inside the distillation loss; nil: the λ the grid picks for the initial summary (as the paper).
    public var lambda: Double?
    /// Validate the binary summary every this many steps; the best by validation HR@100 is kept.
    public var evalEvery = 25
    /// A summary entry (clipped sum of draws) at or above this is an interaction.
    public var threshold = 0.5
    public var seed: UInt64 = 42
    /// Also fit ∞-AE on random and on most-active real users of each size.
    public var baselines = true

    public init() {}
}

/// One Distill-CF step (a JSON line of the run).
public struct DistillStep: Sendable, Codable, Equatable {
    public var size: Int
    public var step: Int
    public var loss: Double
    public var seconds: Double
    /// Set on validation steps: HR at the selection k and the summary's interactions.
    public var validationHitRate: Double?
    public var summaryInteractions: Int?
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
    public var random: InfiniteAEResult?
    public var mostActive: InfiniteAEResult?
    public var seconds: Double

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
/// users' train rows; Adam on the logits; the summary is then made binary.
/// Each rank holds a block of the real users (the loss's targets) and a block
/// of the synthetic users (their draws and Adam state); draws are exchanged by
/// allgatherv and the gradient's per-user sums by allreduce.
public enum DistillCF {
    public static func run(_ data: InteractionData, size m: Int, config: DistillConfig, iae: InfiniteAEConfig,
                           comm: Communicator, progress: ((DistillStep) -> Void)? = nil) throws -> (summary: SparseRows, result: DistillSizeResult) {
        let start = monotonicSeconds()
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
        let lambda = try config.lambda ?? InfiniteAE.validate(data, fit: initial, comm: comm, config: iae).lambda
        let loss = DistillLoss(ntk: NTK(inputs: d, sigmaW2: iae.sigmaW2, sigmaB2: iae.sigmaB2), lambda: lambda,
                               cardinalityReg: config.cardinalityReg,
                               interactionsPerUser: Double(data.train.nonZeros) / Double(data.users), totalTargets: data.users)
        let gumbel = GumbelDraws(temperature: config.temperature, draws: config.draws, items: d, seed: config.seed)
        var adam = Adam(count: logits.count, learningRate: config.learningRate)
        var pre = [Double](repeating: 0, count: mine.count * d)
        var dz = [Double](repeating: 0, count: mine.count * d)
        var best: (hr: Double, step: Int, rows: SparseRows)?
        var firstLoss = Double.nan, lastLoss = Double.nan
        for step in 1...max(config.steps, 1) {
            let t0 = monotonicSeconds()
            // Draws of this rank's synthetic users, clipped at 1, then every rank's.
            logits.withUnsafeBufferPointer { z in
                pre.withUnsafeMutableBufferPointer { gumbel.forward(logits: z.baseAddress!, rows: mine, items: d, step: step, into: $0.baseAddress!) }
            }
            let summary = comm.allgatherv(.kernel, pre.map { min($0, 1) })
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
            if step % config.evalEvery == 0 || step >= config.steps {
                let binary = binarize(summary, rows: m, items: d, threshold: config.threshold)
                let hr = try InfiniteAE.validate(data, fit: binary, comm: comm, config: iae).metrics.hitRate(at: iae.selectionK)
                record.validationHitRate = hr
                record.summaryInteractions = binary.nonZeros
                if best == nil || hr > best!.hr { best = (hr, step, binary) }
            }
            record.seconds = monotonicSeconds() - t0
            progress?(record)
        }
        let chosen = best!
        let distilled = try InfiniteAE.run(data, fit: chosen.rows, comm: comm, config: iae)
        var random: InfiniteAEResult?, active: InfiniteAEResult?
        if config.baselines {
            random = try InfiniteAE.run(data, fit: data.train.select(randomUsers(data.users, count: m, seed: config.seed &+ 7_919 &* UInt64(m))),
                                        comm: comm, config: iae)
            active = try InfiniteAE.run(data, fit: data.train.select(mostActiveUsers(data.train, count: m)), comm: comm, config: iae)
        }
        return (chosen.rows, DistillSizeResult(size: m, trainLambda: lambda, bestStep: chosen.step, summaryInteractions: chosen.rows.nonZeros,
                                               firstLoss: firstLoss, lastLoss: lastLoss, distilled: distilled, random: random,
                                               mostActive: active, seconds: monotonicSeconds() - start))
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

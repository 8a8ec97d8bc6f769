import Collectives
import Foundation
import Tensors

/// The baselines shipped as submissions.
public enum SelectionBaseline: String, Sendable, CaseIterable {
    /// Uniform rows.
    case random
    /// Half positives, half negatives (uniform within each), as far as each label has rows.
    case balanced
    /// Per-user stratified: users in a seeded order take one row each, round by round.
    case perUser = "per-user"
    /// Learned value: the rows with the highest loss under a model trained on the whole pool.
    case loss
    /// Entrant: ∞-AE's most label-consistent rows, half each label (`InfiniteAEEntrant`).
    case iae
    /// Entrant: the rows of the users a Distill-CF summary stands for, half each label (`DistillCFEntrant`).
    case distill
}

public enum DebuggingBaseline: String, Sendable, CaseIterable {
    /// A uniform permutation.
    case random
    /// Highest loss first under a model trained on the (noisy) pool.
    case loss
    /// Out-of-fold confident learning: K-fold predicted probabilities, the rows
    /// whose given label is least likely first.
    case confident
    /// Entrant: ∞-AE's least label-consistent rows first (`InfiniteAEEntrant`).
    case iae
}

/// Baselines computed in this process (a world of one: `comm` has one rank).
public struct Baselines {
    public let runner: FrozenRunner
    /// The training seed and the draws' seed.
    public var seed: UInt64 = 1
    /// Folds of confident learning.
    public var folds = 4

    public init(runner: FrozenRunner) { self.runner = runner }

    var pool: PoolRows { runner.poolRows }

    /// Rows for `budget`, in the order chosen.
    public func select(_ b: SelectionBaseline, budget: Int, comm: Communicator) throws -> [Int] {
        let n = pool.count
        var rng = StrataRNG(seed: seed ^ 0xda7a_9e7f)
        func shuffled(_ a: [Int]) -> [Int] {
            var a = a
            for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, rng.nextIndex(below: i + 1)) }
            return a
        }
        switch b {
        case .random:
            return Array(shuffled(Array(0..<n)).prefix(budget))
        case .balanced:
            return Self.balanced(shuffled(Array(0..<n)), labels: pool.labels, budget: budget)
        case .perUser:
            let users = pool.users()
            var byUser: [Int64: [Int]] = [:]
            for r in 0..<n { byUser[users[r], default: []].append(r) }
            let keys = byUser.keys.sorted()
            let queues = shuffled(Array(keys.indices)).map { shuffled(byUser[keys[$0]]!) }
            var out: [Int] = []
            var round = 0
            while out.count < budget {
                var took = false
                for q in queues.indices where round < queues[q].count && out.count < budget {
                    out.append(queues[q][round]); took = true
                }
                if !took { break }
                round += 1
            }
            return out
        case .loss:
            let losses = try poolLosses(comm: comm)
            return Array((0..<n).sorted { (losses[$0], $1) > (losses[$1], $0) }.prefix(budget))
        case .iae:
            return try InfiniteAEEntrant().select(pool, budget: budget, comm: comm)
        case .distill:
            var e = DistillCFEntrant()
            e.seed = seed
            return try e.select(pool, budget: budget, comm: comm)
        }
    }

    /// The full ranking, most suspect first.
    public func rank(_ b: DebuggingBaseline, comm: Communicator) throws -> [Int] {
        let n = pool.count
        switch b {
        case .random:
            var rng = StrataRNG(seed: seed ^ 0xdeb0_9e7f)
            var a = Array(0..<n)
            for i in stride(from: n - 1, to: 0, by: -1) { a.swapAt(i, rng.nextIndex(below: i + 1)) }
            return a
        case .loss:
            let losses = try poolLosses(comm: comm)
            return (0..<n).sorted { (losses[$0], $1) > (losses[$1], $0) }
        case .confident:
            // Fold of row r: r % folds (pool rows are ordered by user or time, so folds interleave them).
            var likelihood = [Double](repeating: 0, count: n)
            for f in 0..<folds {
                let held = (0..<n).filter { $0 % folds == f }, train = (0..<n).filter { $0 % folds != f }
                let logits = try runner.predict(trainRows: train, predictRows: held, seed: seed, comm: comm)
                for (r, z) in zip(held, logits) {
                    let p = 1 / (1 + exp(-z))
                    likelihood[r] = pool.labels[r] > 0.5 ? p : 1 - p
                }
            }
            return (0..<n).sorted { (likelihood[$0], $0) < (likelihood[$1], $1) }
        case .iae:
            return try InfiniteAEEntrant().rank(pool, comm: comm)
        }
    }

    /// The first rows of `order` of each label, half the budget each (the other
    /// label fills in when one has too few).
    static func balanced(_ order: [Int], labels: [Float], budget: Int) -> [Int] {
        let pos = order.filter { labels[$0] > 0.5 }, neg = order.filter { labels[$0] <= 0.5 }
        let negTake = min(budget - min(budget / 2, pos.count), neg.count)
        return Array(pos.prefix(budget - negTake)) + Array(neg.prefix(negTake))
    }

    /// Per-row log loss of the pool's labels under a model trained on the whole pool.
    public func poolLosses(comm: Communicator) throws -> [Double] {
        let all = Array(0..<pool.count)
        let logits = try runner.predict(trainRows: all, predictRows: all, seed: seed, comm: comm)
        return zip(logits, pool.labels).map { z, y in max(z, 0) - z * Double(y) + log1p(exp(-abs(z))) }
    }
}

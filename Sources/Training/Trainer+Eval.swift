import Collectives
import Data
import Foundation

/// Quality on held-out data: each rank scores its slice of every global eval
/// batch (lookups tagged `eval_a2a`, no backward); scores and labels are
/// gathered so every rank computes the same metrics.
public struct EvalMetrics: Sendable, Codable, Equatable {
    public var logloss: Double
    public var auc: Double
    /// Normalized entropy: logloss over the entropy of the eval base rate.
    public var ne: Double
    public var positiveRate: Double
    public var samples: Int
    /// Per-user AUC weighted by samples (`BinaryMetrics.groupedAUC`), where
    /// the source knows each sample's user; nil otherwise.
    public var gauc: Double?
    /// Users with both labels in the eval split (those GAUC averages over).
    public var gaucUsers: Int?
}

extension Trainer {
    public func evaluate() -> EvalMetrics {
        let available = data.source.sampleCount(.eval)
        let total = config.run.evalSamples > 0 ? min(config.run.evalSamples, available) : available
        let G = config.run.batchSize
        var scores: [Double] = []
        var labels: [Float] = []
        var users: [Double] = []    // gathered beside the labels, so they stay aligned
        let grouped = total > 0 && data.source.knowsUsers(.eval)
        var at = 0
        while at < total {
            let g = min(G, total - at)
            let slice = sliceRange(globalBatch: 0, rank: comm.rank, worldSize: comm.size, step: g)
            let batch = data.source.batch(globalStart: at + slice.lowerBound, count: slice.count, split: .eval,
                                          dedup: config.data.dedup)
            for z in evalLogits(batch) { scores.append(Double(z)) }
            labels += batch.labels
            if grouped {
                for i in slice { users.append(Double(data.source.userGroup(at + i, split: .eval) ?? -1)) }
            }
            at += g
        }
        let allScores = comm.allgatherv(.metrics, scores)
        let allLabels = comm.allgatherv(.metrics, labels)
        let allUsers = grouped ? comm.allgatherv(.metrics, users).map { Int($0) } : nil
        return EvalMetrics.compute(logits: allScores, labels: allLabels, users: allUsers)
    }
}

extension Trainer {
    /// The eval forward on this rank's `batch` (lookups tagged `eval_a2a`, no
    /// backward): one logit per sample. Collective: every rank calls it with
    /// its own batch. `strata serve` is tested against it.
    public func evalLogits(_ batch: Batch) -> [Float] {
        embeddings.inputDist(layout.ids(of: batch), training: false)
        embeddings.lookup()
        embeddings.startOutputDist()
        embeddings.finishOutputDist()
        _ = forwardDense(batch, lossScale: 1)
        return Array(UnsafeBufferPointer(start: model.logits, count: batch.size))
    }
}

extension EvalMetrics {
    /// "; gauc G over U users" for a report line, or "" without GAUC.
    public var gaucSuffix: String {
        gauc.map { String(format: "; gauc %.4f over %d users", $0, gaucUsers ?? 0) } ?? ""
    }

    /// Metrics from logits (AUC is rank-based, so logits serve as scores).
    public static func compute(logits: [Double], labels: [Float], users: [Int]? = nil) -> EvalMetrics {
        guard !labels.isEmpty else { return EvalMetrics(logloss: .nan, auc: .nan, ne: .nan, positiveRate: .nan, samples: 0) }
        var loss = 0.0
        for (z, y) in zip(logits, labels) {
            loss += max(z, 0) - z * Double(y) + log1p(exp(-abs(z)))
        }
        loss /= Double(labels.count)
        let p = labels.reduce(0.0) { $0 + Double($1) } / Double(labels.count)
        let entropy = p <= 0 || p >= 1 ? 0 : -(p * log(p) + (1 - p) * log(1 - p))
        let grouped = users.map { BinaryMetrics.groupedAUC(scores: logits, labels: labels, groups: $0) }
        return EvalMetrics(logloss: loss, auc: BinaryMetrics.auc(scores: logits, labels: labels),
                           ne: entropy > 0 ? loss / entropy : .nan, positiveRate: p, samples: labels.count,
                           gauc: grouped?.auc, gaucUsers: grouped?.groups)
    }
}

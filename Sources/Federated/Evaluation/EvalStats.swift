import Data
import Foundation

/// What one client's evaluation returns to the server (Flower's
/// `EvaluateRes`: loss and number of examples, plus metrics), and what the
/// server sums over clients: sample count, logloss summed over samples, and
/// the score histogram by label (for NE's positive rate and the pooled AUC).
/// Sums, not means, so the server's aggregate weights each client by its
/// sample count and equals the central eval of the same samples.
public struct EvalStats: Sendable, Equatable {
    public var count: Int
    public var loglossSum: Double
    public var histogram: ScoreHistogram

    public init(bins: Int) {
        count = 0
        loglossSum = 0
        histogram = ScoreHistogram(bins: bins)
    }

    /// A client's statistics from its logits and labels (on the device).
    public init(logits: [Float], labels: [Float], bins: Int) {
        let p = logits.map(Quality.probability)
        // BinaryMetrics' logloss, so the per-sample clipping is the central eval's;
        // mean times count gives the sum back to a few ulps.
        let m = BinaryMetrics(scores: p, labels: labels)
        count = m.count
        loglossSum = m.logloss * Double(m.count)
        histogram = ScoreHistogram(bins: bins)
        for (q, y) in zip(p, labels) { histogram.add(probability: q, positive: y > 0.5) }
    }

    public mutating func merge(_ other: EvalStats) {
        count += other.count
        loglossSum += other.loglossSum
        histogram.merge(other.histogram)
    }

    /// Logloss, NE and AUC of everything merged (nil when no sample was evaluated).
    public var quality: Quality? {
        guard count > 0 else { return nil }
        return Quality(count: count, logloss: loglossSum / Double(count),
                       positiveRate: Double(histogram.positiveCount) / Double(count), auc: histogram.auc)
    }

    // MARK: The wire

    /// [count, logloss sum, occupied bins, (bin, positives, negatives) x occupied]:
    /// only the bins holding a sample cross, so a client sends O(its samples).
    public var wire: [Double] {
        let occ = histogram.occupied
        var out = [Double(count), loglossSum, Double(occ.count)]
        out.reserveCapacity(3 + 3 * occ.count)
        for b in occ { out += [Double(b), Double(histogram.positives[b]), Double(histogram.negatives[b])] }
        return out
    }

    /// Decodes `wire`; nil when the message is not a well-formed one for `bins` bins.
    public init?(wire w: [Double], bins: Int) {
        guard w.count >= 3, let n = Int(exactly: w[0]), let occ = Int(exactly: w[2]), occ >= 0, w.count == 3 + 3 * occ else { return nil }
        self.init(bins: bins)
        count = n
        loglossSum = w[1]
        for i in 0..<occ {
            guard let b = Int(exactly: w[3 + 3 * i]), (0..<bins).contains(b),
                  let p = Int(exactly: w[4 + 3 * i]), let q = Int(exactly: w[5 + 3 * i]) else { return nil }
            histogram.add(bin: b, positives: p, negatives: q)
        }
    }

    /// Bytes a phone would upload: count and logloss sum as 8-byte values, each
    /// occupied bin as three 4-byte integers (bin, positives, negatives).
    public var uploadBytes: Int { 16 + 12 * histogram.occupied.count }
}

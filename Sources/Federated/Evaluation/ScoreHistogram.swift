/// Counts of positive and negative samples per probability bin: what a client
/// sends instead of its scores and labels, so the server can compute the AUC of
/// all evaluated clients' samples pooled (the central eval's AUC) from sums.
///
/// Bin b holds probabilities in [b/B, (b+1)/B) (1 goes to the last bin). The
/// AUC counts a positive above a negative in a lower bin as 1 and one in the
/// same bin as 1/2, so it differs from the exact Mann-Whitney AUC by at most
/// `tieBound`: half the share of (positive, negative) pairs that share a bin.
public struct ScoreHistogram: Sendable, Equatable, Codable {
    public let bins: Int
    public private(set) var positives: [Int]
    public private(set) var negatives: [Int]

    public init(bins: Int) {
        precondition(bins >= 2, "a score histogram needs at least 2 bins")
        self.bins = bins
        positives = [Int](repeating: 0, count: bins)
        negatives = [Int](repeating: 0, count: bins)
    }

    public func bin(of probability: Double) -> Int {
        min(bins - 1, max(0, Int(probability * Double(bins))))
    }

    public mutating func add(probability: Double, positive: Bool) {
        let b = bin(of: probability)
        if positive { positives[b] += 1 } else { negatives[b] += 1 }
    }

    /// Adds a count to one bin (decoding a client's sparse histogram).
    public mutating func add(bin b: Int, positives p: Int, negatives n: Int) {
        positives[b] += p
        negatives[b] += n
    }

    public mutating func merge(_ other: ScoreHistogram) {
        precondition(other.bins == bins, "histograms of \(bins) and \(other.bins) bins")
        for b in 0..<bins { positives[b] += other.positives[b]; negatives[b] += other.negatives[b] }
    }

    public var positiveCount: Int { positives.reduce(0, +) }
    public var negativeCount: Int { negatives.reduce(0, +) }

    /// The bins holding a sample, in order (what crosses the device link).
    public var occupied: [Int] { (0..<bins).filter { positives[$0] + negatives[$0] > 0 } }

    /// Pooled AUC, ties within a bin counted half; 0.5 without both classes
    /// (as `BinaryMetrics.auc`).
    public var auc: Double {
        let (p, n) = (Double(positiveCount), Double(negativeCount))
        guard p > 0, n > 0 else { return 0.5 }
        var below = 0.0, wins = 0.0
        for b in 0..<bins {
            wins += Double(positives[b]) * (below + 0.5 * Double(negatives[b]))
            below += Double(negatives[b])
        }
        return wins / (p * n)
    }

    /// The most `auc` can differ from the exact AUC of the same samples.
    public var tieBound: Double {
        let (p, n) = (Double(positiveCount), Double(negativeCount))
        guard p > 0, n > 0 else { return 0 }
        var tied = 0.0
        for b in 0..<bins { tied += Double(positives[b]) * Double(negatives[b]) }
        return 0.5 * tied / (p * n)
    }
}

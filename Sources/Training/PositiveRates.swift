import Foundation
import Data

/// Each id's positive rate on the training split, for the count baselines
/// (`PopularityBaseline`, `BlendBaseline`).
///
/// ```
/// // ids [7, 7, 7, 9], labels [1, 1, 0, 0]: rate(7) = 2/3, rate(9) = 0, rate(5) = nil (unseen);
/// // with priorStrength m and base rate b: (positives + m * b) / (count + m).
/// ```
struct PositiveRates {
    private var positives: [Int64: Double] = [:], counts: [Int64: Double] = [:]
    /// The training base rate.
    let base: Double
    let priorStrength: Double

    init(ids: [Int64?], labels: [Float], priorStrength: Double) {
        for (b, id) in ids.enumerated() {
            guard let id else { continue }
            positives[id, default: 0] += Double(labels[b]); counts[id, default: 0] += 1
        }
        base = labels.reduce(0.0) { $0 + Double($1) } / Double(max(labels.count, 1))
        self.priorStrength = priorStrength
    }

    /// The smoothed rate of `id`, nil when no training sample carries it.
    func rate(_ id: Int64?) -> Double? {
        guard let id, let n = counts[id] else { return nil }
        return (positives[id]! + priorStrength * base) / (n + priorStrength)
    }

    /// log(p / (1 - p)) of `p` clamped to [1e-4, 1 - 1e-4], so a rate of 0 or 1 stays finite.
    static func logit(_ p: Double) -> Double {
        let q = min(max(p, 1e-4), 1 - 1e-4)
        return log(q / (1 - q))
    }
}

extension Batch {
    /// Per sample, the first id of item-side `key` (nil: an empty bag).
    func itemIds(_ key: String) -> [Int64?] {
        let k = itemSide.index(ofKey: key)!
        return (0..<size).map { itemSide.bag(key: k, sample: $0).first }
    }

    /// Per sample, the first id of user-side `key`, through the inverse indices.
    func userIds(_ key: String) -> [Int64?] {
        let k = userSide.unique.index(ofKey: key)!
        return userSide.inverse.map { userSide.unique.bag(key: k, sample: Int($0)).first }
    }

    /// Per sample, the length of user-side `key`'s bag, through the inverse indices.
    func userBagLengths(_ key: String) -> [Int] {
        let k = userSide.unique.index(ofKey: key)!
        return userSide.inverse.map { userSide.unique.bag(key: k, sample: Int($0)).count }
    }
}

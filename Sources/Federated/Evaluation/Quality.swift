import Data
import Foundation

/// Quality of probabilities against labels: logloss, normalized entropy (logloss
/// over the entropy of the positive rate, He et al. 2014), AUC.
public struct Quality: Sendable, Equatable, Codable {
    public var logloss: Double
    public var ne: Double
    public var auc: Double
    public var count: Int

    public init(logits: [Float], labels: [Float]) {
        let m = BinaryMetrics(scores: logits.map(Quality.probability), labels: labels)
        self.init(count: m.count, logloss: m.logloss, positiveRate: m.positiveRate, auc: m.auc)
    }

    /// From aggregates (federated evaluation: sums returned by the clients).
    public init(count: Int, logloss: Double, positiveRate: Double, auc: Double) {
        self.count = count
        self.logloss = logloss
        self.auc = auc
        let p = min(max(positiveRate, 1e-12), 1 - 1e-12)
        let h = -(p * log(p) + (1 - p) * log(1 - p))
        ne = logloss / h
    }

    /// The model's probability for a logit (one definition for central and on-client evaluation).
    public static func probability(_ logit: Float) -> Double { 1 / (1 + exp(-Double(logit))) }
}

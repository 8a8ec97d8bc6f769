import Data
import Foundation

/// The simplest recommender that uses the data: score each eval sample by its
/// item's positive rate on the training split. A model that learns anything
/// from users should beat it on eval AUC.
///
/// ```
/// // train: movie 7 -> labels 1, 1, 0      movie 9 -> 0
/// // eval sample with movie 7 scores 2/3, movie 9 scores 0, an unseen movie
/// // the training base rate; with priorStrength m, (pos + m * base) / (n + m).
/// ```
public enum PopularityBaseline {
    /// Eval metrics of the popularity scores (logits of the clamped rates).
    /// `feature` is an item-side feature; a sample's item is its bag's first id.
    public static func evaluate(source: some BatchSource, feature: String, priorStrength: Double = 0) throws -> EvalMetrics {
        guard let spec = source.schema.feature(named: feature), !spec.userSide else {
            throw ConfigError("popularity baseline: '\(feature)' is not an item-side feature (item side: \(source.schema.itemSideKeys.joined(separator: ", ")))")
        }
        let train = source.all(.train), eval = source.all(.eval)
        var positives: [Int64: Double] = [:], counts: [Int64: Double] = [:]
        let trainItems = items(of: train, feature)
        for (b, item) in trainItems.enumerated() {
            guard let item else { continue }
            positives[item, default: 0] += Double(train.labels[b]); counts[item, default: 0] += 1
        }
        let base = train.labels.reduce(0.0) { $0 + Double($1) } / Double(max(train.size, 1))
        let logits = items(of: eval, feature).map { item -> Double in
            var p = base
            if let item, let n = counts[item] { p = (positives[item]! + priorStrength * base) / (n + priorStrength) }
            let q = min(max(p, 1e-4), 1 - 1e-4)
            return log(q / (1 - q))
        }
        return EvalMetrics.compute(logits: logits, labels: eval.labels)
    }

    /// Default feature: the first item-side pooled feature on a table a sequence reads,
    /// else the first item-side feature.
    public static func defaultFeature(_ schema: DatasetSchema) -> String? {
        let sequenceTables = Set(schema.features.filter { $0.kind == .sequence }.map(\.table))
        return (schema.itemSideFeatures.first { sequenceTables.contains($0.table) } ?? schema.itemSideFeatures.first)?.name
    }

    static func items(of batch: Batch, _ key: String) -> [Int64?] {
        let k = batch.itemSide.index(ofKey: key)!
        return (0..<batch.size).map { batch.itemSide.bag(key: k, sample: $0).first }
    }
}

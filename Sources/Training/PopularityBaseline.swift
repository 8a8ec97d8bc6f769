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
        try checkItemSide(source.schema, feature)
        let train = source.all(.train), eval = source.all(.eval)
        let rates = PositiveRates(ids: train.itemIds(feature), labels: train.labels, priorStrength: priorStrength)
        let logits = eval.itemIds(feature).map { PositiveRates.logit(rates.rate($0) ?? rates.base) }
        return EvalMetrics.compute(logits: logits, labels: eval.labels, users: evalUsers(source))
    }

    /// Each eval sample's user where the source knows it (for GAUC), else nil.
    static func evalUsers(_ source: some BatchSource) -> [Int]? {
        guard source.knowsUsers(.eval) else { return nil }
        return (0..<source.sampleCount(.eval)).map { source.userGroup($0, split: .eval) ?? -1 }
    }

    /// Default feature: the first item-side pooled feature on a table a sequence reads,
    /// else the first item-side feature.
    public static func defaultFeature(_ schema: DatasetSchema) -> String? {
        let sequenceTables = Set(schema.features.filter { $0.kind == .sequence }.map(\.table))
        return (schema.itemSideFeatures.first { sequenceTables.contains($0.table) } ?? schema.itemSideFeatures.first)?.name
    }

    static func checkItemSide(_ schema: DatasetSchema, _ feature: String) throws {
        guard let spec = schema.feature(named: feature), !spec.userSide else {
            throw ConfigError("popularity baseline: '\(feature)' is not an item-side feature (item side: \(schema.itemSideKeys.joined(separator: ", ")))")
        }
    }
}

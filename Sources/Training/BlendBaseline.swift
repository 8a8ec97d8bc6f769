import Data
import Foundation

/// The item's and the user's training positive rates blended: the count
/// baseline a model with user ids should at least match, and the one to beat
/// on users it has never seen.
///
/// The blend adds the two log-odds and takes the base rate's off once (naive
/// Bayes with the item and the user independent given the label):
/// `logit(item) + logit(user) - logit(base)`. A user no training sample
/// carries (a held-out user of `data.movielens.split: users`, all of whom share
/// the never-trained unknown row) has no rate; its term is `logit(base)`, so the
/// score falls back to the item's rate alone. An unseen item likewise counts as
/// the base rate.
///
/// ```
/// // base 0.5; movie 7 rate 0.8, user 3 rate 0.8:  logit 1.386 + 1.386 - 0 = 2.77 (p 0.94)
/// // movie 7 for an unseen user:                    logit 1.386              (p 0.8, the item's rate)
/// ```
public enum BlendBaseline {
    /// Eval metrics of the blend, and how many eval samples had no user rate.
    public static func evaluate(source: some BatchSource, item: String, user: String,
                                priorStrength: Double = 0) throws -> (metrics: EvalMetrics, unknownUsers: Int) {
        try PopularityBaseline.checkItemSide(source.schema, item)
        guard let spec = source.schema.feature(named: user), spec.userSide, spec.kind == .pooled else {
            throw ConfigError("blend baseline: '\(user)' is not a pooled user-side feature (user side: \(source.schema.userSideKeys.joined(separator: ", ")))")
        }
        let train = source.all(.train), eval = source.all(.eval)
        let items = PositiveRates(ids: train.itemIds(item), labels: train.labels, priorStrength: priorStrength)
        let users = PositiveRates(ids: train.userIds(user), labels: train.labels, priorStrength: priorStrength)
        let baseLogit = PositiveRates.logit(items.base)
        var unknown = 0
        let logits = zip(eval.itemIds(item), eval.userIds(user)).map { i, u -> Double in
            let userRate = users.rate(u)
            if userRate == nil { unknown += 1 }
            return PositiveRates.logit(items.rate(i) ?? items.base) + PositiveRates.logit(userRate ?? items.base) - baseLogit
        }
        return (EvalMetrics.compute(logits: logits, labels: eval.labels, users: PopularityBaseline.evalUsers(source)), unknown)
    }

    /// The blend with the user's rate read from the sample's own history
    /// instead of counted over training: the feedback-split sequences `liked`
    /// and `disliked` hold the user's earlier liked and disliked items, so the
    /// rate is `(|liked| + m * base) / (|liked| + |disliked| + m)`, what a new
    /// user's earlier ratings say of how generously they rate. This is the
    /// blend that can score held-out users, who have no training rate. An
    /// empty history (with m = 0) has no rate and falls back to the item's.
    ///
    /// ```
    /// // base 0.5, m 2; liked 3, disliked 1: user rate (3 + 1) / (4 + 2) = 0.667
    /// ```
    public static func evaluate(source: some BatchSource, item: String, liked: String, disliked: String,
                                priorStrength: Double = 0) throws -> (metrics: EvalMetrics, emptyHistories: Int) {
        try PopularityBaseline.checkItemSide(source.schema, item)
        for key in [liked, disliked] {
            guard let spec = source.schema.feature(named: key), spec.userSide, spec.kind == .sequence else {
                throw ConfigError("blend baseline: '\(key)' is not a user-side sequence feature (user side: \(source.schema.userSideKeys.joined(separator: ", ")))")
            }
        }
        guard liked != disliked else { throw ConfigError("blend baseline: the liked and the disliked history are both '\(liked)'") }
        let train = source.all(.train), eval = source.all(.eval)
        let items = PositiveRates(ids: train.itemIds(item), labels: train.labels, priorStrength: priorStrength)
        let baseLogit = PositiveRates.logit(items.base)
        var empty = 0
        let logits = zip(eval.itemIds(item), zip(eval.userBagLengths(liked), eval.userBagLengths(disliked))).map { i, h -> Double in
            let n = Double(h.0 + h.1), m = priorStrength
            let userRate: Double? = n + m > 0 ? (Double(h.0) + m * items.base) / (n + m) : nil
            if userRate == nil { empty += 1 }
            return PositiveRates.logit(items.rate(i) ?? items.base) + PositiveRates.logit(userRate ?? items.base) - baseLogit
        }
        return (EvalMetrics.compute(logits: logits, labels: eval.labels, users: PopularityBaseline.evalUsers(source)), empty)
    }
}

import Foundation
import RunKit

/// The Distill-CF curve: test nDCG@10 against the number of users ∞-AE is fitted
/// on, for the distilled summaries, random and most-active real users, and the
/// full data (a flat dashed line).
public enum DistillCurve {
    public static func svg(_ results: [DistillSizeResult], full: InfiniteAEResult, k: Int = 10) -> String {
        let sizes = results.map { Double($0.size) }
        var series = [Plot.Series(name: "Distill-CF summary", points: results.map { (Double($0.size), $0.distilled.test.ndcg(at: k)) })]
        let random = results.compactMap { r in r.random.map { (Double(r.size), $0.test.ndcg(at: k)) } }
        let active = results.compactMap { r in r.mostActive.map { (Double(r.size), $0.test.ndcg(at: k)) } }
        if !random.isEmpty { series.append(.init(name: "random users", points: random)) }
        if !active.isEmpty { series.append(.init(name: "most-active users", points: active)) }
        let f = full.test.ndcg(at: k)
        series.append(.init(name: "full data (\(full.fitUsers) users)", points: [(sizes.min() ?? 1, f), (sizes.max() ?? 1, f)], dashed: true))
        return Plot(title: "∞-AE test nDCG@\(k) by training users", xLabel: "users ∞-AE is fitted on",
                    yLabel: "nDCG@\(k)", xScale: .log, series: series).render()
    }
}

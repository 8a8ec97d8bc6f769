import Serving
import ServingHTTP

/// The serving commands' SVGs.
enum ServePlots {
    static func rateSearch(_ steps: [LoadResult], boundMs: Double, percentile: Double) -> String {
        let idx = steps.indices.map(Double.init)
        let tail = LineChart(title: "p\(Int(percentile)) latency per search step", xLabel: "step", yLabel: "ms",
                             series: [.init(name: "p\(Int(percentile))", color: "#1f77b4",
                                            points: zip(idx, steps.map { $0.tailSeconds(percentile: percentile) * 1000 }).map { ($0, min($1, boundMs * 4)) })],
                             marks: [("bound \(Int(boundMs)) ms", boundMs)])
        let rate = LineChart(title: "arrival rate per search step", xLabel: "step", yLabel: "requests/s",
                             series: [.init(name: "offered", color: "#2ca02c", points: zip(idx, steps.map(\.rate)).map { ($0, $1) }),
                                      .init(name: "answered", color: "#ff7f0e", points: zip(idx, steps.map(\.achievedRate)).map { ($0, $1) })])
        return LineChart.document([tail, rate])
    }
}

extension ServePlots {
    /// QPS by sub-batch size, one line per (m, t).
    static func profile(_ s: ProfileSummary) -> String {
        let bs = s.space.subBatches
        var pairs: [(Int, Int)] = []
        for m in s.measurements where !pairs.contains(where: { $0 == (m.config.instances, m.config.threads) }) {
            pairs.append((m.config.instances, m.config.threads))
        }
        let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"]
        let series = pairs.enumerated().map { k, p in
            LineChart.Series(name: "m=\(p.0) t=\(p.1)", color: colors[k % colors.count],
                             points: s.measurements.filter { $0.config.instances == p.0 && $0.config.threads == p.1 }
                                 .map { (Double(bs.firstIndex(of: $0.config.subBatch) ?? 0), $0.qps) }.sorted { $0.0 < $1.0 })
        }
        let chart = LineChart(title: "\(s.model): latency-bounded QPS (p\(Int(s.percentile)) <= \(Int(s.boundMs)) ms), measured; "
                              + "x: sub-batch " + bs.map { $0 == 0 ? "all" : String($0) }.joined(separator: ", "),
                              xLabel: "sub-batch size (index)", yLabel: "QPS", series: series,
                              marks: [("default", s.baselineQPS)])
        return LineChart.document([chart])
    }
}

import RunKit
import Serving
import ServingHTTP

/// The serving commands' SVGs.
enum ServePlots {
    static func rateSearch(_ steps: [LoadResult], boundMs: Double, percentile: Double) -> String {
        let idx = steps.indices.map(Double.init)
        var tail = Plot(title: "p\(Int(percentile)) latency per search step", xLabel: "step", yLabel: "ms",
                        series: [.init(name: "p\(Int(percentile))", points: zip(idx, steps.map { $0.tailSeconds(percentile: percentile) * 1000 })
                                          .map { ($0, min($1, boundMs * 4)) }, color: "#1f77b4")],
                        marks: [.init("bound \(Int(boundMs)) ms", y: boundMs)])
        var rate = Plot(title: "arrival rate per search step", xLabel: "step", yLabel: "requests/s",
                        series: [.init(name: "offered", points: zip(idx, steps.map(\.rate)).map { ($0, $1) }, color: "#2ca02c"),
                                 .init(name: "answered", points: zip(idx, steps.map(\.achievedRate)).map { ($0, $1) }, color: "#ff7f0e")])
        tail.yFromZero = true; rate.yFromZero = true
        tail.height = 320; rate.height = 320
        return Plot.document([tail, rate])
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
        let series = pairs.map { p in
            Plot.Series(name: "m=\(p.0) t=\(p.1)",
                        points: s.measurements.filter { $0.config.instances == p.0 && $0.config.threads == p.1 }
                            .map { (Double(bs.firstIndex(of: $0.config.subBatch) ?? 0), $0.qps) })
        }
        var chart = Plot(title: "\(s.model): latency-bounded QPS (p\(Int(s.percentile)) <= \(Int(s.boundMs)) ms), measured; "
                         + "x: sub-batch " + bs.map { $0 == 0 ? "all" : String($0) }.joined(separator: ", "),
                         xLabel: "sub-batch size (index)", yLabel: "QPS", series: series, marks: [.init("default", y: s.baselineQPS)])
        chart.yFromZero = true
        return chart.render()
    }
}

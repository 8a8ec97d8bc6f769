import Foundation
import RunKit

/// One sweep axis as a `Plot`: log-log axes, the runs as mean ± std over
/// seeds, the fitted curve, the asymptote `c` as a dashed line (at the bottom
/// edge, labelled, when it cannot sit on the axis), a, b, c and R^2 in the legend.
extension Plot {
    /// Groups the runs by x first (see `RunGroup.grouping`).
    public static func scalingLaw(title: String, xLabel: String, yLabel: String, runs: [ScalingPoint], fit: FitResult?) -> Plot {
        scalingLaw(title: title, xLabel: xLabel, yLabel: yLabel, groups: RunGroup.grouping(runs), fit: fit)
    }

    public static func scalingLaw(title: String, xLabel: String, yLabel: String, groups: [RunGroup], fit: FitResult?) -> Plot {
        let shown = groups.filter { $0.x > 0 && $0.x.isFinite && $0.mean > 0 && $0.mean.isFinite }
        var plot = Plot(title: title, xLabel: xLabel, yLabel: yLabel, xScale: .log, yScale: .log)
        plot.series = [Series(name: "mean ± std over seeds (\(shown.map(\.count).reduce(0, +)) runs)", points: shown.map { ($0.x, $0.mean) },
                              color: "#333333", line: false, errors: shown.map(\.std))]
        guard let fit else { return plot }
        let law = fit.law, xs = shown.map(\.x)
        if let lo = xs.min(), let hi = xs.max() {
            // The curve over the points' span, 200 steps even in log x.
            let (a, b) = (log10(lo), log10(hi))
            let curve = (0...200).map { k in pow(10, a + (b - a) * Double(k) / 200) }.map { ($0, law($0)) }
            plot.series.append(Series(name: "fit: L(x) = a·x^(−b) + c", points: curve, color: "#1f77b4", markers: false, role: "fit-curve"))
        }
        let smallest = shown.map(\.mean).min() ?? 0
        plot.marks = [Mark("asymptote c = \(String(format: "%.3g", law.c))", y: law.c, widens: law.c > 0 && law.c >= smallest / 100,
                           role: "asymptote")]
        let g = { (v: Double) in String(format: "%.4g", v) }
        plot.notes = ["a = \(g(fit.a)),  b = \(g(fit.b))", "c = \(g(fit.c)),  R² = \(String(format: "%.4f", fit.r2))"]
        return plot
    }
}

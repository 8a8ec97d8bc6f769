import Foundation

/// One sweep axis as a self-contained SVG: log-log axes with decade ticks, the
/// runs as mean ± std over seeds, the fitted curve, the asymptote `c` as a dashed
/// line, a title, axis labels and a legend with a, b, c and R^2.
///
/// Self-contained (generic font family, no scripts, no external references) so the
/// file opens in any browser from a results folder. Robust to degenerate sweeps: a
/// single x, identical y or a non-positive c still give a finite, valid drawing.
/// Values <= 0 cannot sit on a log axis and are left out of the drawing.
public struct SVGPlot: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var width: Double
    public var height: Double

    public init(title: String, xLabel: String, yLabel: String, width: Double = 720, height: Double = 480) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.width = width
        self.height = height
    }

    /// Groups the runs by x first (see `RunGroup.grouping`).
    public func render(runs: [ScalingPoint], fit: FitResult?) -> String {
        render(groups: RunGroup.grouping(runs), fit: fit)
    }

    public func render(groups: [RunGroup], fit: FitResult?) -> String {
        let left = 84.0, right = width - 24, top = 48.0, bottom = height - 64
        let shown = groups.filter { $0.x > 0 && $0.x.isFinite && $0.mean > 0 && $0.mean.isFinite }
        let xAxis = LogAxis(covering: shown.map(\.x), start: left, end: right)

        var yValues = shown.flatMap { [$0.mean, $0.mean + $0.std, $0.mean - $0.std] }
        let law = fit?.law
        if let law {
            let xs = shown.map(\.x)
            yValues += [xs.min(), xs.max()].compactMap { $0 }.map { law($0) }
            let smallest = shown.map(\.mean).min() ?? 0
            if law.c > 0, law.c >= smallest / 100 { yValues.append(law.c) }
        }
        let yAxis = LogAxis(covering: yValues, start: bottom, end: top)

        var svg = SVGWriter()
        let n = SVGWriter.number
        svg.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        svg.raw("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"\(n(height))\" "
            + "viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"sans-serif\" font-size=\"12\">")
        svg.raw("<title>\(SVGWriter.escape(title))</title>")
        svg.raw("<defs><clipPath id=\"plot-area\"><rect x=\"\(n(left))\" y=\"\(n(top))\" "
            + "width=\"\(n(right - left))\" height=\"\(n(bottom - top))\"/></clipPath></defs>")
        svg.raw("<rect x=\"0\" y=\"0\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"white\"/>")
        drawAxes(&svg, xAxis: xAxis, yAxis: yAxis, frame: (left, right, top, bottom))
        if let law {
            drawAsymptote(&svg, c: law.c, yAxis: yAxis, left: left, right: right, bottom: bottom)
            drawCurve(&svg, law: law, xAxis: xAxis, yAxis: yAxis)
        }
        drawPoints(&svg, groups: shown, xAxis: xAxis, yAxis: yAxis, top: top, bottom: bottom)
        drawLegend(&svg, fit: fit, runs: shown.map(\.count).reduce(0, +), right: right, top: top)
        svg.text(width / 2, 28, markup: SVGWriter.escape(title),
                 attributes: "text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\"")
        svg.raw("</svg>")
        return svg.lines.joined(separator: "\n") + "\n"
    }

    private func drawAxes(_ svg: inout SVGWriter, xAxis: LogAxis, yAxis: LogAxis,
                          frame: (left: Double, right: Double, top: Double, bottom: Double)) {
        let (left, right, top, bottom) = frame
        let grid = "stroke=\"#e4e4e4\" stroke-width=\"1\""
        for tick in xAxis.ticks {
            let x = xAxis.position(tick.value)
            if tick.major { svg.line(x, top, x, bottom, attributes: grid) }
            svg.line(x, bottom, x, bottom + (tick.major ? 6 : 3), attributes: "stroke=\"black\"")
            if let label = tick.label {
                svg.text(x, bottom + 20, markup: Self.markup(label), attributes: "text-anchor=\"middle\"")
            }
        }
        for tick in yAxis.ticks {
            let y = yAxis.position(tick.value)
            if tick.major { svg.line(left, y, right, y, attributes: grid) }
            svg.line(left - (tick.major ? 6 : 3), y, left, y, attributes: "stroke=\"black\"")
            if let label = tick.label {
                svg.text(left - 9, y + 4, markup: Self.markup(label), attributes: "text-anchor=\"end\"")
            }
        }
        svg.raw("<rect x=\"\(SVGWriter.number(left))\" y=\"\(SVGWriter.number(top))\" "
            + "width=\"\(SVGWriter.number(right - left))\" height=\"\(SVGWriter.number(bottom - top))\" "
            + "fill=\"none\" stroke=\"black\"/>")
        svg.text((left + right) / 2, height - 18, markup: SVGWriter.escape(xLabel) + " (log scale)",
                 attributes: "text-anchor=\"middle\" font-size=\"13\"")
        let yMid = (top + bottom) / 2
        svg.text(20, yMid, markup: SVGWriter.escape(yLabel) + " (log scale)",
                 attributes: "text-anchor=\"middle\" font-size=\"13\" "
                     + "transform=\"rotate(-90 20 \(SVGWriter.number(yMid)))\"")
    }

    /// Dashed at `c` when it lies on the axis; otherwise along the bottom edge, labelled as off-scale.
    private func drawAsymptote(_ svg: inout SVGWriter, c: Double, yAxis: LogAxis,
                               left: Double, right: Double, bottom: Double) {
        let onScale = yAxis.contains(c)
        let y = onScale ? yAxis.position(c) : bottom
        svg.line(left, y, right, y, attributes: "class=\"asymptote\" stroke=\"#d62728\" "
            + "stroke-width=\"1.5\" stroke-dasharray=\"6 4\"")
        let label = "asymptote c = \(LogAxis.format(c))" + (onScale ? "" : " (below the axis)")
        svg.text(left + 6, y - 5, markup: SVGWriter.escape(label),
                 attributes: "class=\"asymptote-label\" fill=\"#d62728\"")
    }

    private func drawCurve(_ svg: inout SVGWriter, law: PowerLaw, xAxis: LogAxis, yAxis: LogAxis) {
        let samples = 200
        let points: [(Double, Double)?] = (0...samples).map { k in
            let x = pow(10, xAxis.lo + (xAxis.hi - xAxis.lo) * Double(k) / Double(samples))
            let y = law(x)
            guard y > 0, y.isFinite else { return nil }
            return (xAxis.position(x), yAxis.position(y))
        }
        svg.path(points, attributes: "id=\"fit-curve\" class=\"fit-curve\" fill=\"none\" "
            + "stroke=\"#1f77b4\" stroke-width=\"2\" clip-path=\"url(#plot-area)\"")
    }

    private func drawPoints(_ svg: inout SVGWriter, groups: [RunGroup], xAxis: LogAxis, yAxis: LogAxis,
                            top: Double, bottom: Double) {
        for g in groups {
            let x = xAxis.position(g.x)
            if g.std > 0 {
                // mean - std may be <= 0: the bar then runs to the bottom edge.
                let lower = g.mean - g.std > 0 ? min(yAxis.position(g.mean - g.std), bottom) : bottom
                let upper = max(yAxis.position(g.mean + g.std), top)
                let bar = "class=\"error-bar\" stroke=\"#333333\""
                svg.line(x, lower, x, upper, attributes: bar)
                svg.line(x - 4, lower, x + 4, lower, attributes: bar)
                svg.line(x - 4, upper, x + 4, upper, attributes: bar)
            }
            svg.circle(x, yAxis.position(g.mean), r: 3.5,
                       attributes: "class=\"point\" fill=\"#333333\"")
        }
    }

    private func drawLegend(_ svg: inout SVGWriter, fit: FitResult?, runs: Int, right: Double, top: Double) {
        var lines = ["● mean ± std over seeds (\(runs) runs)"]
        if let fit {
            let g = { (v: Double) in String(format: "%.4g", v) }
            lines += ["— fit: L(x) = a·x^(−b) + c",
                      "a = \(g(fit.a)),  b = \(g(fit.b))",
                      "c = \(g(fit.c)),  R² = \(String(format: "%.4f", fit.r2))"]
        }
        let boxWidth = 250.0, lineHeight = 16.0
        let x = right - boxWidth - 8, y = top + 8
        svg.raw("<rect class=\"legend\" x=\"\(SVGWriter.number(x))\" y=\"\(SVGWriter.number(y))\" "
            + "width=\"\(SVGWriter.number(boxWidth))\" height=\"\(SVGWriter.number(Double(lines.count) * lineHeight + 10))\" "
            + "fill=\"white\" fill-opacity=\"0.85\" stroke=\"#999999\"/>")
        for (i, text) in lines.enumerated() {
            svg.text(x + 8, y + 18 + Double(i) * lineHeight, markup: SVGWriter.escape(text),
                     attributes: "class=\"legend-text\"")
        }
    }

    private static func markup(_ label: LogAxis.TickLabel) -> String {
        switch label {
        case let .decade(e): return "10<tspan dy=\"-6\" font-size=\"9\">\(e)</tspan>"
        case let .plain(s): return SVGWriter.escape(s)
        }
    }
}

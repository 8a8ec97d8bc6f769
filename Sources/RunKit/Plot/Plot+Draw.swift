import Foundation

/// How a `Plot` is drawn: frame and axes, marks, series, legend, title.
extension Plot {
    struct Frame { let left: Double, right: Double, top: Double, bottom: Double }

    func draw(into svg: inout SVGWriter, id: Int) {
        let f = Frame(left: 84, right: width - 24, top: 48, bottom: height - 64)
        let xAxis = PlotAxis(xScale, covering: series.flatMap { $0.points.map(\.0) }, start: f.left, end: f.right, fromZero: false)
        let shown = series.map { s in Self.fitted(s, x: xAxis, y: yScale) }
        var ys = shown.flatMap { s in s.points.indices.flatMap { i in
            [s.points[i].1] + (s.errors.isEmpty ? [] : [s.points[i].1 - s.errors[i], s.points[i].1 + s.errors[i]])
        } }
        ys += marks.filter(\.widens).map(\.y)
        let yAxis = PlotAxis(yScale, covering: ys, start: f.bottom, end: f.top, fromZero: yFromZero)
        let n = SVGWriter.number
        svg.raw("<defs><clipPath id=\"plot-area-\(id)\"><rect x=\"\(n(f.left))\" y=\"\(n(f.top))\" "
            + "width=\"\(n(f.right - f.left))\" height=\"\(n(f.bottom - f.top))\"/></clipPath></defs>")
        drawAxes(&svg, x: xAxis, y: yAxis, f)
        for m in marks { drawMark(&svg, m, y: yAxis, f) }
        for (i, s) in shown.enumerated() {
            drawSeries(&svg, s, color: s.color ?? Self.palette[i % Self.palette.count], x: xAxis, y: yAxis, f, clip: "plot-area-\(id)")
        }
        drawLegend(&svg, shown, f)
        svg.text(width / 2, 28, markup: SVGWriter.escape(title), attributes: "text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\"")
    }

    /// The series with only the points (and their error bars) both axes can draw.
    static func fitted(_ s: Series, x: PlotAxis, y: Scale) -> Series {
        var out = s
        let keep = s.points.indices.filter { i in x.accepts(s.points[i].0) && s.points[i].1.isFinite && (y == .linear || s.points[i].1 > 0) }
        out.points = keep.map { s.points[$0] }
        out.errors = s.errors.isEmpty ? [] : keep.map { s.errors[$0] }
        return out
    }

    func drawAxes(_ svg: inout SVGWriter, x: PlotAxis, y: PlotAxis, _ f: Frame) {
        let grid = "stroke=\"#e4e4e4\" stroke-width=\"1\""
        for tick in x.ticks {
            let px = x.position(tick.value)
            if tick.major { svg.line(px, f.top, px, f.bottom, attributes: grid) }
            svg.line(px, f.bottom, px, f.bottom + (tick.major ? 6 : 3), attributes: "stroke=\"black\"")
            if let label = tick.label { svg.text(px, f.bottom + 20, markup: Self.markup(label), attributes: "text-anchor=\"middle\"") }
        }
        for tick in y.ticks {
            let py = y.position(tick.value)
            if tick.major { svg.line(f.left, py, f.right, py, attributes: grid) }
            svg.line(f.left - (tick.major ? 6 : 3), py, f.left, py, attributes: "stroke=\"black\"")
            if let label = tick.label { svg.text(f.left - 9, py + 4, markup: Self.markup(label), attributes: "text-anchor=\"end\"") }
        }
        let n = SVGWriter.number
        svg.raw("<rect x=\"\(n(f.left))\" y=\"\(n(f.top))\" width=\"\(n(f.right - f.left))\" height=\"\(n(f.bottom - f.top))\" "
            + "fill=\"none\" stroke=\"black\"/>")
        svg.text((f.left + f.right) / 2, height - 18, markup: SVGWriter.escape(xLabel) + (x.isLog ? " (log scale)" : ""),
                 attributes: "text-anchor=\"middle\" font-size=\"13\"")
        let yMid = (f.top + f.bottom) / 2
        svg.text(20, yMid, markup: SVGWriter.escape(yLabel) + (y.isLog ? " (log scale)" : ""),
                 attributes: "text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 20 \(n(yMid)))\"")
    }

    /// Dashed at `y` when it lies on the axis; otherwise along the nearer edge, labelled as off-scale.
    func drawMark(_ svg: inout SVGWriter, _ m: Mark, y: PlotAxis, _ f: Frame) {
        guard y.accepts(m.y) || y.isLog else { return }
        let onScale = y.contains(m.y)
        let below = !onScale && (!y.accepts(m.y) || y.position(m.y) > f.bottom)
        let py = onScale ? y.position(m.y) : (below ? f.bottom : f.top)
        svg.line(f.left, py, f.right, py, attributes: "class=\"\(m.role)\" stroke=\"\(m.color)\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"")
        let label = m.label + (onScale ? "" : below ? " (below the axis)" : " (above the axis)")
        svg.text(f.left + 6, py - 5, markup: SVGWriter.escape(label), attributes: "class=\"\(m.role)-label\" fill=\"\(m.color)\"")
    }

    func drawSeries(_ svg: inout SVGWriter, _ s: Series, color: String, x: PlotAxis, y: PlotAxis, _ f: Frame, clip: String) {
        let order = s.points.indices.sorted { s.points[$0].0 < s.points[$1].0 }
        let pts = order.map { (x.position(s.points[$0].0), y.position(s.points[$0].1)) }
        let dash = s.dashed ? " stroke-dasharray=\"6 4\"" : ""
        if s.line {
            var path: [(Double, Double)?] = []
            for (k, p) in pts.enumerated() {
                if s.step, k > 0 { path.append((p.0, pts[k - 1].1)) }
                path.append(p)
            }
            svg.path(path, attributes: "class=\"\(s.role)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dash) clip-path=\"url(#\(clip))\"")
        }
        for (k, i) in order.enumerated() where !s.errors.isEmpty && s.errors[i] > 0 {
            let v = s.points[i].1, e = s.errors[i]
            // v - e may not fit a log axis: the bar then runs to the bottom edge.
            let lower = y.accepts(v - e) ? min(y.position(v - e), f.bottom) : f.bottom
            let upper = max(y.position(v + e), f.top)
            let bar = "class=\"error-bar\" stroke=\"\(color)\""
            svg.line(pts[k].0, lower, pts[k].0, upper, attributes: bar)
            svg.line(pts[k].0 - 4, lower, pts[k].0 + 4, lower, attributes: bar)
            svg.line(pts[k].0 - 4, upper, pts[k].0 + 4, upper, attributes: bar)
        }
        if s.markers { for p in pts { svg.circle(p.0, p.1, r: 3.5, attributes: "class=\"point\" fill=\"\(color)\"") } }
    }

    /// A box in the upper right: a sample of each series beside its name, then the notes.
    func drawLegend(_ svg: inout SVGWriter, _ shown: [Series], _ f: Frame) {
        let rows = shown.count + notes.count
        guard rows > 0 else { return }
        let longest = (shown.map(\.name) + notes).map(\.count).max() ?? 0
        let boxWidth = min(max(7.0 * Double(longest) + 48, 120), f.right - f.left - 16), lineHeight = 16.0
        let bx = f.right - boxWidth - 8, by = f.top + 8
        let n = SVGWriter.number
        svg.raw("<rect class=\"legend\" x=\"\(n(bx))\" y=\"\(n(by))\" width=\"\(n(boxWidth))\" height=\"\(n(Double(rows) * lineHeight + 10))\" "
            + "fill=\"white\" fill-opacity=\"0.85\" stroke=\"#999999\"/>")
        for (i, s) in shown.enumerated() {
            let color = s.color ?? Self.palette[i % Self.palette.count], ly = by + 14 + Double(i) * lineHeight
            if s.line {
                svg.line(bx + 8, ly, bx + 32, ly, attributes: "stroke=\"\(color)\" stroke-width=\"2\"" + (s.dashed ? " stroke-dasharray=\"6 4\"" : ""))
            }
            if s.markers { svg.circle(bx + 20, ly, r: 3.5, attributes: "fill=\"\(color)\"") }
            svg.text(bx + 40, ly + 4, markup: SVGWriter.escape(s.name), attributes: "class=\"legend-text\"")
        }
        for (k, note) in notes.enumerated() {
            svg.text(bx + 8, by + 18 + Double(shown.count + k) * lineHeight, markup: SVGWriter.escape(note), attributes: "class=\"legend-text\"")
        }
    }

    static func markup(_ label: LogAxis.TickLabel) -> String {
        switch label {
        case let .decade(e): return "10<tspan dy=\"-6\" font-size=\"9\">\(e)</tspan>"
        case let .plain(s): return SVGWriter.escape(s)
        }
    }
}

import ScalingLaws

/// A plain line chart (linear axes, several series, optional horizontal
/// marks) written with ScalingLaws' SVGWriter: the serving runs' plots.
public struct LineChart: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var color: String
        public var points: [(Double, Double)]
        public var step = false   // a staircase (per-slot allocations)
        public init(name: String, color: String, points: [(Double, Double)], step: Bool = false) {
            self.name = name; self.color = color; self.points = points; self.step = step
        }
    }
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var marks: [(label: String, y: Double)] = []
    public var width = 720.0
    public var height = 300.0

    public init(title: String, xLabel: String, yLabel: String, series: [Series], marks: [(label: String, y: Double)] = []) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.series = series; self.marks = marks
    }

    /// The chart's elements, offset by `top` (charts stack in one file).
    func draw(into w: inout SVGWriter, top: Double) {
        let left = 70.0, right = width - 150, plotTop = top + 30, bottom = top + height - 40
        let xs = series.flatMap { $0.points.map(\.0) }.filter(\.isFinite)
        let ys = (series.flatMap { $0.points.map(\.1) } + marks.map(\.y)).filter(\.isFinite)
        let x0 = xs.min() ?? 0, x1 = max(xs.max() ?? 1, x0 + 1e-9)
        let y1 = max((ys.max() ?? 1) * 1.08, 1e-9), y0 = min(0, ys.min() ?? 0)
        let sx = { (x: Double) in left + (x - x0) / (x1 - x0) * (right - left) }
        let sy = { (y: Double) in bottom - (y - y0) / (y1 - y0) * (bottom - plotTop) }
        let font = "font-family=\"sans-serif\" font-size=\"11\""
        w.text(left, top + 16, markup: SVGWriter.escape(title), attributes: "\(font) font-weight=\"bold\"")
        w.line(left, bottom, right, bottom, attributes: "stroke=\"#333\"")
        w.line(left, plotTop, left, bottom, attributes: "stroke=\"#333\"")
        for i in 0...4 {
            let fx = x0 + (x1 - x0) * Double(i) / 4, fy = y0 + (y1 - y0) * Double(i) / 4
            w.text(sx(fx), bottom + 14, markup: SVGWriter.escape(Self.label(fx)), attributes: "\(font) text-anchor=\"middle\"")
            w.text(left - 6, sy(fy) + 4, markup: SVGWriter.escape(Self.label(fy)), attributes: "\(font) text-anchor=\"end\"")
            w.line(left, sy(fy), right, sy(fy), attributes: "stroke=\"#eee\"")
        }
        w.text((left + right) / 2, bottom + 30, markup: SVGWriter.escape(xLabel), attributes: "\(font) text-anchor=\"middle\"")
        w.text(14, (plotTop + bottom) / 2, markup: SVGWriter.escape(yLabel),
               attributes: "\(font) text-anchor=\"middle\" transform=\"rotate(-90 14 \(SVGWriter.number((plotTop + bottom) / 2)))\"")
        for m in marks {
            w.line(left, sy(m.y), right, sy(m.y), attributes: "stroke=\"#c00\" stroke-dasharray=\"4 3\"")
            w.text(right + 4, sy(m.y) + 4, markup: SVGWriter.escape(m.label), attributes: "\(font) fill=\"#c00\"")
        }
        for (k, s) in series.enumerated() {
            var pts: [(Double, Double)?] = []
            for (i, p) in s.points.enumerated() {
                if s.step, i > 0 { pts.append((sx(p.0), sy(s.points[i - 1].1))) }
                pts.append((sx(p.0), sy(p.1)))
            }
            w.path(pts, attributes: "fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"1.6\"")
            if !s.step { for p in s.points { w.circle(sx(p.0), sy(p.1), r: 2.2, attributes: "fill=\"\(s.color)\"") } }
            let ly = plotTop + 14 * Double(k)
            w.line(right + 8, ly, right + 24, ly, attributes: "stroke=\"\(s.color)\" stroke-width=\"2\"")
            w.text(right + 28, ly + 4, markup: SVGWriter.escape(s.name), attributes: font)
        }
    }

    static func label(_ v: Double) -> String {
        let a = abs(v)
        if a >= 1e4 { return String(format: "%.0fk", v / 1000) }
        if a >= 100 || v == v.rounded() { return String(format: "%.0f", v) }
        return String(format: "%.2g", v)
    }

    /// Charts stacked top to bottom in one SVG document.
    public static func document(_ charts: [LineChart]) -> String {
        var w = SVGWriter()
        var top = 0.0
        for c in charts { c.draw(into: &w, top: top); top += c.height }
        let width = charts.map(\.width).max() ?? 720
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(top))\" viewBox=\"0 0 \(Int(width)) \(Int(top))\">\n"
            + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n" + w.lines.joined(separator: "\n") + "\n</svg>\n"
    }
}

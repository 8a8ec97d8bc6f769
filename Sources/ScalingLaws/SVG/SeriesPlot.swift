import Foundation

/// Several named series of (x, y) points on a log x axis and a linear y axis,
/// each drawn as a line through markers, with a legend: for curves such as a
/// quality metric against a summary size. Self-contained SVG, like `SVGPlot`;
/// points with x <= 0 or a non-finite y are left out.
public struct SeriesPlot: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public var dashed: Bool

        public init(name: String, points: [(x: Double, y: Double)], dashed: Bool = false) {
            self.name = name
            self.points = points
            self.dashed = dashed
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var width: Double
    public var height: Double
    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]

    public init(title: String, xLabel: String, yLabel: String, width: Double = 720, height: Double = 480) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.width = width
        self.height = height
    }

    public func render(_ series: [Series]) -> String {
        let left = 84.0, right = width - 24, top = 48.0, bottom = height - 64
        let shown = series.map { s in Series(name: s.name, points: s.points.filter { $0.x > 0 && $0.x.isFinite && $0.y.isFinite }, dashed: s.dashed) }
        let xs = shown.flatMap { $0.points.map(\.x) }, ys = shown.flatMap { $0.points.map(\.y) }
        let xAxis = LogAxis(covering: xs, start: left, end: right)
        var lo = ys.min() ?? 0, hi = ys.max() ?? 1
        if hi - lo < 1e-9 { lo -= 0.5; hi += 0.5 }
        let pad = 0.08 * (hi - lo)
        lo -= pad; hi += pad
        func yPos(_ y: Double) -> Double { bottom - (y - lo) / (hi - lo) * (bottom - top) }
        var svg = SVGWriter()
        let n = SVGWriter.number
        svg.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        svg.raw("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"\(n(height))\" "
            + "viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"sans-serif\" font-size=\"12\">")
        svg.raw("<title>\(SVGWriter.escape(title))</title>")
        svg.raw("<rect x=\"0\" y=\"0\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"white\"/>")
        let grid = "stroke=\"#e4e4e4\" stroke-width=\"1\""
        for tick in xAxis.ticks {
            let x = xAxis.position(tick.value)
            if tick.major { svg.line(x, top, x, bottom, attributes: grid) }
            svg.line(x, bottom, x, bottom + (tick.major ? 6 : 3), attributes: "stroke=\"black\"")
            switch tick.label {
            case let .decade(e)?: svg.text(x, bottom + 20, markup: "10<tspan dy=\"-6\" font-size=\"9\">\(e)</tspan>", attributes: "text-anchor=\"middle\"")
            case let .plain(s)?: svg.text(x, bottom + 20, markup: SVGWriter.escape(s), attributes: "text-anchor=\"middle\"")
            case nil: break
            }
        }
        for k in 0...5 {
            let v = lo + (hi - lo) * Double(k) / 5, y = yPos(v)
            svg.line(left, y, right, y, attributes: grid)
            svg.text(left - 9, y + 4, markup: SVGWriter.escape(String(format: "%.4g", v)), attributes: "text-anchor=\"end\"")
        }
        svg.raw("<rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(right - left))\" height=\"\(n(bottom - top))\" fill=\"none\" stroke=\"black\"/>")
        for (i, s) in shown.enumerated() {
            let color = Self.colors[i % Self.colors.count]
            let pts = s.points.sorted { $0.x < $1.x }.map { Optional((xAxis.position($0.x), yPos($0.y))) }
            svg.path(pts, attributes: "class=\"series\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"" + (s.dashed ? " stroke-dasharray=\"6 4\"" : ""))
            for p in pts { if let (x, y) = p { svg.circle(x, y, r: 3.5, attributes: "fill=\"\(color)\"") } }
            // Legend in the lower right, where rising curves leave room.
            let ly = bottom - 12 - Double(shown.count - 1 - i) * 16
            svg.line(right - 190, ly - 4, right - 166, ly - 4, attributes: "stroke=\"\(color)\" stroke-width=\"2\"" + (s.dashed ? " stroke-dasharray=\"6 4\"" : ""))
            svg.text(right - 160, ly, markup: SVGWriter.escape(s.name), attributes: "class=\"legend-text\"")
        }
        svg.text((left + right) / 2, height - 18, markup: SVGWriter.escape(xLabel) + " (log scale)", attributes: "text-anchor=\"middle\" font-size=\"13\"")
        let yMid = (top + bottom) / 2
        svg.text(20, yMid, markup: SVGWriter.escape(yLabel), attributes: "text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 20 \(n(yMid)))\"")
        svg.text(width / 2, 28, markup: SVGWriter.escape(title), attributes: "text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\"")
        svg.raw("</svg>")
        return svg.lines.joined(separator: "\n") + "\n"
    }
}

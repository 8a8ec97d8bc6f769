import Foundation
import ScalingLaws

/// Lines on linear axes (quality against rounds or simulated time), drawn with
/// ScalingLaws' SVG writer (finite numbers only, escaped text).
public struct LinePlot {
    public struct Series {
        public var name: String
        public var points: [(Double, Double)]
        public init(name: String, points: [(Double, Double)]) { self.name = name; self.points = points }
    }
    public var title: String, xLabel: String, yLabel: String
    public init(title: String, xLabel: String, yLabel: String) { self.title = title; self.xLabel = xLabel; self.yLabel = yLabel }

    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f"]

    public func render(_ series: [Series]) -> String {
        let W = 720.0, H = 440.0, left = 70.0, right = 170.0, top = 40.0, bottom = 50.0
        let pts = series.flatMap(\.points).filter { $0.0.isFinite && $0.1.isFinite }
        var x0 = pts.map(\.0).min() ?? 0, x1 = pts.map(\.0).max() ?? 1
        var y0 = pts.map(\.1).min() ?? 0, y1 = pts.map(\.1).max() ?? 1
        if x1 - x0 < 1e-12 { x0 -= 0.5; x1 += 0.5 }
        if y1 - y0 < 1e-12 { y0 -= 0.5; y1 += 0.5 }
        let pad = 0.05 * (y1 - y0); y0 -= pad; y1 += pad
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * (W - left - right) }
        func py(_ y: Double) -> Double { H - bottom - (y - y0) / (y1 - y0) * (H - top - bottom) }
        var svg = SVGWriter()
        let n = SVGWriter.number
        svg.raw("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(W))\" height=\"\(n(H))\" font-family=\"sans-serif\" font-size=\"12\">")
        svg.raw("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>")
        svg.text(W / 2 - 100, 22, markup: SVGWriter.escape(title), attributes: "font-size=\"15\"")
        svg.line(left, H - bottom, W - right, H - bottom, attributes: "stroke=\"black\"")
        svg.line(left, top, left, H - bottom, attributes: "stroke=\"black\"")
        for i in 0...4 {
            let fx = x0 + Double(i) / 4 * (x1 - x0), fy = y0 + Double(i) / 4 * (y1 - y0)
            svg.text(px(fx) - 12, H - bottom + 16, markup: SVGWriter.escape(String(format: "%.3g", fx)), attributes: "")
            svg.text(8, py(fy) + 4, markup: SVGWriter.escape(String(format: "%.4g", fy)), attributes: "")
            svg.line(left, py(fy), W - right, py(fy), attributes: "stroke=\"#eee\"")
        }
        svg.text((left + W - right) / 2 - 40, H - 12, markup: SVGWriter.escape(xLabel), attributes: "")
        svg.text(8, top - 8, markup: SVGWriter.escape(yLabel), attributes: "")
        for (i, s) in series.enumerated() {
            let c = Self.colors[i % Self.colors.count]
            svg.path(s.points.map { (px($0.0), py($0.1)) }, attributes: "fill=\"none\" stroke=\"\(c)\" stroke-width=\"2\"")
            for p in s.points { svg.circle(px(p.0), py(p.1), r: 2.5, attributes: "fill=\"\(c)\"") }
            svg.line(W - right + 12, top + 18 * Double(i) + 10, W - right + 32, top + 18 * Double(i) + 10, attributes: "stroke=\"\(c)\" stroke-width=\"2\"")
            svg.text(W - right + 36, top + 18 * Double(i) + 14, markup: SVGWriter.escape(s.name), attributes: "")
        }
        svg.raw("</svg>")
        return svg.lines.joined(separator: "\n") + "\n"
    }
}

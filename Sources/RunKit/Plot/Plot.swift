import Foundation

/// The one plot type every SVG in Strata is drawn with: several named series
/// of (x, y) points, each a line, markers or both (optionally a staircase,
/// dashed, with ± bars), on linear or log axes, with a legend, horizontal
/// marks (a bound, a baseline, an asymptote) and notes under the legend.
///
/// Self-contained SVG (generic font family, no scripts, no external
/// references), so a file opens in any browser from a run folder. Nothing
/// can print NaN: points that do not fit an axis (non-finite, or <= 0 on a
/// log axis) are left out, and a degenerate range is widened to a visible one.
///
///     var plot = Plot(title: "Eval AUC by round", xLabel: "round", yLabel: "eval AUC")
///     plot.series = [.init(name: "fl", points: records.map { (Double($0.round), $0.auc) })]
///     try folder.writeText("auc.svg", plot.render())
public struct Plot: Sendable {
    public enum Scale: Sendable { case linear, log }

    public struct Series: Sendable {
        public var name: String
        public var points: [(Double, Double)]
        /// nil: the palette's next colour.
        public var color: String?
        public var line = true
        public var markers = true
        public var dashed = false
        /// A staircase: each value holds until the next point's x.
        public var step = false
        /// ± half-widths of error bars, one per point (empty: none).
        public var errors: [Double] = []
        /// The class of its line in the file ("series", "fit-curve"): what a test or a stylesheet finds it by.
        public var role = "series"

        public init(name: String, points: [(Double, Double)], color: String? = nil, line: Bool = true, markers: Bool = true,
                    dashed: Bool = false, step: Bool = false, errors: [Double] = [], role: String = "series") {
            self.name = name; self.points = points; self.color = color; self.line = line
            self.markers = markers; self.dashed = dashed; self.step = step; self.errors = errors; self.role = role
        }
    }

    /// A horizontal dashed line across the plot at `y`, labelled.
    public struct Mark: Sendable {
        public var label: String
        public var y: Double
        public var color: String
        /// Whether the y axis stretches to show it (false: drawn at the edge, labelled off-scale, when outside).
        public var widens: Bool
        /// Its class in the file ("mark", "asymptote"); the label's is the same with "-label".
        public var role: String
        public init(_ label: String, y: Double, color: String = "#d62728", widens: Bool = true, role: String = "mark") {
            self.label = label; self.y = y; self.color = color; self.widens = widens; self.role = role
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var xScale: Scale
    public var yScale: Scale
    /// A linear y axis that always shows 0 (counts, rates, runtimes).
    public var yFromZero = false
    public var width = 720.0
    public var height = 480.0
    public var series: [Series]
    public var marks: [Mark] = []
    /// Lines of text under the legend's entries (a fit's parameters).
    public var notes: [String] = []

    public init(title: String, xLabel: String, yLabel: String, xScale: Scale = .linear, yScale: Scale = .linear,
                series: [Series] = [], marks: [Mark] = []) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel
        self.xScale = xScale; self.yScale = yScale; self.series = series; self.marks = marks
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]

    /// This plot as an SVG document.
    public func render() -> String { Self.document([self]) }

    /// Plots stacked top to bottom in one SVG document.
    public static func document(_ plots: [Plot]) -> String {
        let width = plots.map(\.width).max() ?? 720, height = plots.map(\.height).reduce(0, +)
        let n = SVGWriter.number
        var svg = SVGWriter()
        svg.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        svg.raw("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"\(n(height))\" "
            + "viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"sans-serif\" font-size=\"12\">")
        svg.raw("<title>\(SVGWriter.escape(plots.map(\.title).joined(separator: "; ")))</title>")
        svg.raw("<rect x=\"0\" y=\"0\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"white\"/>")
        var top = 0.0
        for (i, p) in plots.enumerated() {
            svg.raw("<g transform=\"translate(0 \(n(top)))\">")
            p.draw(into: &svg, id: i)
            svg.raw("</g>")
            top += p.height
        }
        svg.raw("</svg>")
        return svg.lines.joined(separator: "\n") + "\n"
    }
}

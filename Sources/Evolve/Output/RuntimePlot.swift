import ScalingLaws

/// runtime.svg: the best valid runtime of each generation (points and line)
/// against the original's (dashed), on linear axes from 0.
enum RuntimePlot {
    static func render(_ history: [GenerationRecord], title: String, unit: String) -> String {
        let width = 720.0, height = 420.0, left = 80.0, right = 690.0, top = 50.0, bottom = 360.0
        let baseline = history.first?.baselineRuntime ?? 1
        let ys = history.compactMap(\.bestRuntime) + [baseline]
        let yMax = (ys.filter(\.isFinite).max() ?? 1) * 1.1
        let gens = max(Double(history.last?.generation ?? 1), 1)
        func x(_ g: Int) -> Double { left + (right - left) * Double(g) / gens }
        func y(_ v: Double) -> Double { bottom - (bottom - top) * v / yMax }
        let n = SVGWriter.number
        var svg = SVGWriter()
        svg.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        svg.raw("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"\(n(height))\" font-family=\"sans-serif\" font-size=\"12\">")
        svg.raw("<rect x=\"0\" y=\"0\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"white\"/>")
        svg.text(width / 2, 24, markup: SVGWriter.escape(title), attributes: "text-anchor=\"middle\" font-size=\"15\"")
        svg.line(left, bottom, right, bottom, attributes: "stroke=\"black\"")
        svg.line(left, top, left, bottom, attributes: "stroke=\"black\"")
        for k in 0...4 {
            let v = yMax * Double(k) / 4
            svg.line(left - 4, y(v), left, y(v), attributes: "stroke=\"black\"")
            svg.text(left - 8, y(v) + 4, markup: SVGWriter.escape(v >= 1000 ? String(format: "%.3g", v) : String(format: "%.0f", v)),
                     attributes: "text-anchor=\"end\"")
        }
        let step = max(1, Int(gens) / 10)
        for g in stride(from: 0, through: Int(gens), by: step) {
            svg.line(x(g), bottom, x(g), bottom + 4, attributes: "stroke=\"black\"")
            svg.text(x(g), bottom + 18, markup: "\(g)", attributes: "text-anchor=\"middle\"")
        }
        svg.text((left + right) / 2, bottom + 40, markup: "generation", attributes: "text-anchor=\"middle\"")
        svg.text(20, (top + bottom) / 2, markup: SVGWriter.escape("best valid runtime (\(unit))"),
                 attributes: "text-anchor=\"middle\" transform=\"rotate(-90 20 \(n((top + bottom) / 2)))\"")
        svg.line(left, y(baseline), right, y(baseline), attributes: "stroke=\"gray\" stroke-dasharray=\"6 4\"")
        svg.text(right, y(baseline) - 6, markup: "original (clang -O3)", attributes: "text-anchor=\"end\" fill=\"gray\"")
        svg.path(history.map { r in r.bestRuntime.map { (x(r.generation), y($0)) } }, attributes: "fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\"")
        for r in history { if let b = r.bestRuntime { svg.circle(x(r.generation), y(b), r: 3, attributes: "fill=\"#1f77b4\"") } }
        svg.raw("</svg>")
        return svg.lines.joined(separator: "\n") + "\n"
    }
}

import RunKit

/// runtime.svg: the best valid runtime of each generation (points and line)
/// against the original's (dashed), on a linear y axis from 0.
enum RuntimePlot {
    static func render(_ history: [GenerationRecord], title: String, unit: String) -> String {
        var plot = Plot(title: title, xLabel: "generation", yLabel: "best valid runtime (\(unit))")
        plot.yFromZero = true
        plot.series = [.init(name: "best valid variant", points: history.compactMap { r in r.bestRuntime.map { (Double(r.generation), $0) } })]
        if let original = history.first?.baselineRuntime { plot.marks = [.init("original (clang -O3)", y: original, color: "gray")] }
        return plot.render()
    }
}

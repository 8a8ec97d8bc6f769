import Foundation

/// One axis of a `Plot`: log10 (`LogAxis`) or linear, mapping values to pixels, with ticks.
enum PlotAxis {
    case log(LogAxis)
    case linear(LinearAxis)

    init(_ scale: Plot.Scale, covering values: [Double], start: Double, end: Double, fromZero: Bool) {
        switch scale {
        case .log: self = .log(LogAxis(covering: values, start: start, end: end))
        case .linear: self = .linear(LinearAxis(covering: values, start: start, end: end, fromZero: fromZero))
        }
    }

    var isLog: Bool { if case .log = self { return true } else { return false } }

    /// Whether `v` can be drawn at all on this kind of axis.
    func accepts(_ v: Double) -> Bool { v.isFinite && (!isLog || v > 0) }

    func position(_ v: Double) -> Double {
        switch self {
        case .log(let a): return a.position(v)
        case .linear(let a): return a.position(v)
        }
    }

    func contains(_ v: Double) -> Bool {
        switch self {
        case .log(let a): return a.contains(v)
        case .linear(let a): return v >= a.lo && v <= a.hi
        }
    }

    var ticks: [LogAxis.Tick] {
        switch self {
        case .log(let a): return a.ticks
        case .linear(let a): return a.ticks
        }
    }
}

/// A linear axis over some values, padded by 8 % of their range (a single
/// value gets a unit-wide range), optionally stretched to include zero, with
/// labelled ticks at round steps (1, 2 or 5 times a power of ten), four to ten of them.
struct LinearAxis {
    let lo: Double
    let hi: Double
    let start: Double
    let end: Double

    init(covering values: [Double], start: Double, end: Double, fromZero: Bool) {
        let finite = values.filter(\.isFinite)
        var lo = finite.min() ?? 0, hi = finite.max() ?? 1
        if hi - lo < 1e-9 { lo -= 0.5; hi += 0.5 }
        let pad = 0.08 * (hi - lo)
        lo -= pad; hi += pad
        if fromZero { lo = (finite.min() ?? 0) >= 0 ? 0 : lo; hi = max(hi, 0) }
        self.lo = lo; self.hi = hi; self.start = start; self.end = end
    }

    func position(_ v: Double) -> Double { start + (v - lo) / (hi - lo) * (end - start) }

    var ticks: [LogAxis.Tick] {
        let span = hi - lo, raw = span / 5, power = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= raw * (1 - 1e-9) } ?? 10 * power
        var ticks: [LogAxis.Tick] = []
        var k = (lo / step).rounded(.up)
        while k * step <= hi + 1e-9 * span {
            let v = abs(k * step) < 1e-9 * span ? 0 : k * step
            ticks.append(LogAxis.Tick(value: v, major: true, label: .plain(String(format: "%.4g", v))))
            k += 1
        }
        return ticks
    }
}

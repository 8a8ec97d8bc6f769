import Foundation
import RunKit
import ScalingLaws

/// One fitted line of a sweep: an axis (or compute), its points and the fit of
/// `L(x) = a * x^(-b) + c`.
public struct AxisFit: Sendable, Codable {
    public var name: String
    /// The config key varied (nil for compute, which spans every point).
    public var key: String?
    /// What x is (`value`, `parameters`, `flops`, ...).
    public var x: String
    public var metric: String
    public var a: Double?
    public var b: Double?
    public var c: Double?
    public var r2: Double?
    /// Mean |relative error| of the held-out check (fit without the largest x, predict them).
    public var heldOutError: Double?
    /// The full result: intervals for a, b and c, the held-out predictions, warnings.
    public var fit: FitResult?
    /// Why there is no fit (too few points, ...).
    public var error: String?
    /// Mean and spread over seeds at each x, as plotted.
    public var groups: [RunGroup]

    /// The SVG for this line (log-log, error bars over seeds, curve and asymptote).
    public func plot(metric: SweepSpec.Metric) -> String {
        let xLabel: String
        switch x {
        case "value": xLabel = key ?? name
        case "flops": xLabel = "training FLOPs"
        default: xLabel = x.replacingOccurrences(of: "_", with: " ")
        }
        return Plot.scalingLaw(title: "\(metric.rawValue) against \(xLabel) (\(name))", xLabel: xLabel,
                               yLabel: metric.rawValue, groups: groups, fit: fit).render()
    }
}

/// `fits.json`: one fit per axis and one for compute.
public struct SweepFits: Sendable, Codable {
    public var metric: String
    public var axes: [AxisFit]
    public var compute: AxisFit

    public var all: [AxisFit] { axes + [compute] }

    /// Fits every axis on the done points that lie on it (`lines`: the axis's
    /// own points; `grid`: the points where every other axis is at its largest
    /// value, the regime where this axis limits), and compute (x = FLOPs) on
    /// every done point.
    public static func fit(spec: SweepSpec, records: [PointRecord]) -> SweepFits {
        let done = records.filter { $0.status == .done }
        var axes: [AxisFit] = []
        for axis in spec.axes {
            let on = done.filter { r in
                guard r.coordinates[axis.name] != nil else { return false }
                guard spec.layout == .grid else { return true }
                return spec.axes.allSatisfy { other in
                    other.name == axis.name || r.coordinates[other.name] == largest(other)
                }
            }
            let pts = on.compactMap { r -> ScalingPoint? in
                guard let x = r.x(axis.x, axis: axis.name), let y = r.metric(spec.metric) else { return nil }
                return ScalingPoint(x: x, y: y)
            }
            axes.append(line(name: axis.name, key: axis.key, x: axis.x.rawValue, points: pts, spec: spec))
        }
        let cpts = done.compactMap { r -> ScalingPoint? in
            guard let x = r.flops, let y = r.metric(spec.metric) else { return nil }
            return ScalingPoint(x: x, y: y)
        }
        let compute = line(name: "compute", key: nil, x: SweepAxis.Measure.flops.rawValue, points: cpts, spec: spec)
        return SweepFits(metric: spec.metric.rawValue, axes: axes, compute: compute)
    }

    static func largest(_ axis: SweepAxis) -> String? {
        axis.values.max { (Double($0) ?? 0, $0) < (Double($1) ?? 0, $1) }
    }

    static func line(name: String, key: String?, x: String, points: [ScalingPoint], spec: SweepSpec) -> AxisFit {
        var out = AxisFit(name: name, key: key, x: x, metric: spec.metric.rawValue, groups: RunGroup.grouping(points))
        let distinct = Set(points.map(\.x)).count
        let hold = min(spec.holdLargest, max(0, distinct - PowerLawFit.parametersNeeded))
        do {
            let fitter = PowerLawFit(bootstrapResamples: spec.bootstrapResamples)
            var f = try fitter.fit(points, holdLargest: hold)
            if hold < spec.holdLargest {
                f.warnings.append("held-out check: \(hold) of the \(spec.holdLargest) largest x held out "
                                  + "(\(distinct) distinct x; the fit needs \(PowerLawFit.parametersNeeded) left)")
            }
            out.fit = f
            out.a = f.a; out.b = f.b; out.c = f.c; out.r2 = f.r2
            out.heldOutError = f.heldOut?.meanAbsRelativeError
        } catch {
            out.error = "\(error)"
        }
        return out
    }

    /// A text table for the log.
    public func table() -> String {
        func g(_ v: Double?) -> String { v.map { String(format: "%.4g", $0) } ?? "-" }
        let widths = [12, 16, 10, 10, 7, 7, 7, 12, 18]
        let head = ["line", "x", "runs", "a", "b", "c", "R^2", "held-out err", "b 95% CI", "c 95% CI"]
        var lines = ["fits of \(metric) = a * x^(-b) + c:",
                     "  " + head.enumerated().map { $0.offset < widths.count ? $0.element.pad(widths[$0.offset]) : $0.element }
                        .joined(separator: "  ")]
        for f in all {
            let ci = f.fit?.ci
            let bci = ci.map { "[\(g($0.b.lower)), \(g($0.b.upper))]" } ?? "-"
            let cci = ci.map { "[\(g($0.c.lower)), \(g($0.c.upper))]" } ?? "-"
            let n = f.groups.reduce(0) { $0 + $1.count }
            let row = [f.name.pad(12),
                       f.x.pad(16),
                       String(n).pad(10),
                       g(f.a).pad(10),
                       g(f.b).pad(7),
                       g(f.c).pad(7),
                       g(f.r2).pad(7),
                       (f.heldOutError.map { String(format: "%.2f%%", $0 * 100) } ?? "-").pad(12),
                       bci.pad(18), cci]
            lines.append("  " + row.joined(separator: "  ") + (f.error.map { "  (\($0))" } ?? ""))
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    /// Left-aligned in `width` columns (never cut).
    func pad(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}

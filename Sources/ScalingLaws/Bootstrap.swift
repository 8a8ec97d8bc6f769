import Foundation
import Tensors

/// Percentile bootstrap over points, because the law is non-linear and a
/// linearised (Jacobian) interval for c is badly wrong when c is weakly determined;
/// resampling shows that spread directly. Resamples with fewer than 3 distinct x
/// cannot be fitted and are skipped (and counted).
extension PowerLawFit {
    /// Intervals for a, b and c, or nil when fewer than 10 resamples could be fitted.
    public func bootstrap(_ points: [ScalingPoint]) -> ParameterIntervals? {
        guard !points.isEmpty, bootstrapResamples > 0 else { return nil }
        var rng = StrataRNG(seed: seed)
        var a: [Double] = [], b: [Double] = [], c: [Double] = []
        var skipped = 0
        for _ in 0..<bootstrapResamples {
            let sample = (0..<points.count).map { _ in points[rng.nextIndex(below: points.count)] }
            guard Set(sample.map(\.x)).count >= Self.parametersNeeded,
                  let fit = try? curve(sample) else {
                skipped += 1
                continue
            }
            a.append(fit.a); b.append(fit.b); c.append(fit.c)
        }
        guard a.count >= 10 else { return nil }
        let tail = (1 - confidenceLevel) / 2
        func interval(_ v: [Double]) -> ConfidenceInterval {
            let s = v.sorted()
            return ConfidenceInterval(lower: percentile(s, tail), upper: percentile(s, 1 - tail))
        }
        return ParameterIntervals(a: interval(a), b: interval(b), c: interval(c),
                                  level: confidenceLevel, resamples: a.count, skipped: skipped)
    }
}

/// Linear interpolation between order statistics (the common "type 7" definition).
func percentile(_ sorted: [Double], _ q: Double) -> Double {
    let pos = min(max(q, 0), 1) * Double(sorted.count - 1)
    let lo = Int(pos.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
    return sorted[lo] + (pos - Double(lo)) * (sorted[hi] - sorted[lo])
}

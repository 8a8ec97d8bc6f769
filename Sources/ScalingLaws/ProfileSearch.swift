import Foundation

/// Starting values for the polish: a 1-D search over the asymptote `c`, each `c`
/// scored by the y-residuals of the log-log line through `log(y - c)`.
///
/// Why this shape: for fixed `c` the problem is linear in log space, so the only
/// hard direction is `c`. A dense log-spaced grid over the gap `s = min(y) - c`
/// (from 1e-6 to 1e4 times the y-span) cannot be trapped the way a local method
/// started from a guess can; golden-section search then refines the best cell.
/// The line is weighted by `w (y - c)^2` (the delta method) so that its residuals
/// approximate y-residuals rather than over-trusting points close to `c`.
struct ProfileSearch {
    struct Candidate {
        var aU: Double
        var b: Double
        var c: Double
        var sse: Double
    }

    let data: FitData
    let gridSize = 241

    /// Evaluates one `c` (given as the log of the gap below min(y)).
    func candidate(logGap: Double) -> Candidate? {
        let yMin = data.y.min()!
        let c = yMin - exp(logGap)
        var z = [Double](repeating: 0, count: data.count)
        var v = [Double](repeating: 0, count: data.count)
        for i in 0..<data.count {
            let d = data.y[i] - c
            guard d > 0 else { return nil }
            z[i] = log(d)
            v[i] = data.w[i] * d * d
        }
        guard let line = WeightedLine(t: data.logU, z: z, weights: v) else { return nil }
        let aU = exp(line.intercept), b = -line.slope
        let sse = data.sse(aU: aU, b: b, c: c)
        guard aU.isFinite, b.isFinite, sse.isFinite else { return nil }
        return Candidate(aU: aU, b: b, c: c, sse: sse)
    }

    /// The best candidate and whether it sits at an end of the searched range of `c`
    /// (then the data do not pin `c` down, and the result says so).
    func run() -> (best: Candidate, atBoundary: Bool)? {
        let yMin = data.y.min()!, yMax = data.y.max()!
        let span = yMax - yMin
        guard span > 0 else { return nil }
        let lo = log(span * 1e-6)
        let hi = log(max(span * 1e4, 10 * max(abs(yMax), abs(yMin))))
        let step = (hi - lo) / Double(gridSize - 1)
        var bestK = -1
        var best: Candidate?
        for k in 0..<gridSize {
            guard let cand = candidate(logGap: lo + Double(k) * step) else { continue }
            if best == nil || cand.sse < best!.sse {
                best = cand
                bestK = k
            }
        }
        guard var found = best else { return nil }
        // Golden-section refinement inside the neighbouring cells.
        var left = lo + Double(max(bestK - 1, 0)) * step
        var right = lo + Double(min(bestK + 1, gridSize - 1)) * step
        let ratio = (sqrt(5.0) - 1) / 2
        func score(_ t: Double) -> Double { candidate(logGap: t)?.sse ?? .infinity }
        var t1 = right - ratio * (right - left), t2 = left + ratio * (right - left)
        var f1 = score(t1), f2 = score(t2)
        for _ in 0..<80 where right - left > 1e-12 {
            if f1 < f2 {
                right = t2; t2 = t1; f2 = f1
                t1 = right - ratio * (right - left); f1 = score(t1)
            } else {
                left = t1; t1 = t2; f1 = f2
                t2 = left + ratio * (right - left); f2 = score(t2)
            }
        }
        if let refined = candidate(logGap: (left + right) / 2), refined.sse < found.sse {
            found = refined
        }
        return (found, bestK == 0 || bestK == gridSize - 1)
    }
}

import Foundation

/// Polishes (a_u, b, c) on the original y-residuals.
///
/// The c-search optimises a log-space surrogate; this step makes the answer the
/// true (weighted) least-squares fit, which is what "non-linear least squares"
/// promises and what exact data must recover to machine precision. Levenberg-
/// Marquardt rather than plain Gauss-Newton because near a flat direction (large
/// c, small a) the Gauss-Newton step overshoots; a step is taken only when it
/// lowers the sum of squares, so the polish can never make the start worse.
struct LevenbergMarquardt {
    let data: FitData
    var maxIterations = 500

    func polish(aU: Double, b: Double, c: Double) -> (aU: Double, b: Double, c: Double, sse: Double) {
        var p = [aU, b, c]
        var sse = data.sse(aU: aU, b: b, c: c)
        var lambda = 1e-3
        for _ in 0..<maxIterations {
            if sse == 0 { break }
            // Normal equations J^T W J and J^T W r.
            var jtj = [[Double]](repeating: [0, 0, 0], count: 3)
            var jtr = [0.0, 0.0, 0.0]
            for i in 0..<data.count {
                let e = exp(-p[1] * data.logU[i])
                let r = p[0] * e + p[2] - data.y[i]
                let g = [e, -p[0] * e * data.logU[i], 1.0]
                for j in 0..<3 {
                    jtr[j] += data.w[i] * g[j] * r
                    for k in 0..<3 { jtj[j][k] += data.w[i] * g[j] * g[k] }
                }
            }
            let maxDiag = max(jtj[0][0], jtj[1][1], jtj[2][2])
            var accepted = false
            while lambda < 1e16 {
                var m = jtj
                for j in 0..<3 { m[j][j] += lambda * max(jtj[j][j], 1e-12 * maxDiag) }
                guard let step = solve3(m, jtr.map { -$0 }) else { lambda *= 10; continue }
                let q = [p[0] + step[0], p[1] + step[1], p[2] + step[2]]
                let s = data.sse(aU: q[0], b: q[1], c: q[2])
                if s.isFinite, q.allSatisfy(\.isFinite), s < sse {
                    let relStep = (0..<3).map { abs(step[$0]) / (abs(q[$0]) + 1e-300) }.max()!
                    let gain = (sse - s) / sse
                    p = q
                    sse = s
                    lambda = max(lambda / 3, 1e-12)
                    accepted = true
                    if relStep < 1e-14 || gain < 1e-15 { return (p[0], p[1], p[2], sse) }
                    break
                }
                lambda *= 4
            }
            if !accepted { break }
        }
        return (p[0], p[1], p[2], sse)
    }
}

/// Solves a 3x3 system by Gaussian elimination with partial pivoting; nil if singular.
func solve3(_ matrix: [[Double]], _ rhs: [Double]) -> [Double]? {
    var a = matrix, r = rhs
    for col in 0..<3 {
        let pivot = (col..<3).max { abs(a[$0][col]) < abs(a[$1][col]) }!
        guard abs(a[pivot][col]) > 0, a[pivot][col].isFinite else { return nil }
        a.swapAt(col, pivot)
        r.swapAt(col, pivot)
        for row in (col + 1)..<3 {
            let f = a[row][col] / a[col][col]
            for k in col..<3 { a[row][k] -= f * a[col][k] }
            r[row] -= f * r[col]
        }
    }
    var x = [0.0, 0.0, 0.0]
    for row in stride(from: 2, through: 0, by: -1) {
        var s = r[row]
        for k in (row + 1)..<3 { s -= a[row][k] * x[k] }
        x[row] = s / a[row][row]
    }
    return x.allSatisfy(\.isFinite) ? x : nil
}

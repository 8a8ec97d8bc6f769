import Foundation

/// Validated points in the form the numerics want: `x` rescaled by its geometric
/// mean `x0`, so that `log u` is centred on 0 and the three Jacobian columns have
/// comparable size even when x runs to 1e12 (parameters, FLOPs). The amplitude
/// found for `u` converts back as `a = a_u * x0^b`.
struct FitData {
    let logU: [Double]
    let y: [Double]
    let w: [Double]
    let x0: Double
    let distinctX: Int

    var count: Int { y.count }

    /// Refuses invalid input with the error that names the problem; see `PowerLawFitError`.
    init(_ points: [ScalingPoint], needed: Int = 3) throws {
        for (i, p) in points.enumerated() {
            if !p.x.isFinite { throw PowerLawFitError.nonFinite(index: i, field: "x") }
            if !p.y.isFinite { throw PowerLawFitError.nonFinite(index: i, field: "y") }
            if !p.weight.isFinite { throw PowerLawFitError.nonFinite(index: i, field: "weight") }
            if p.x <= 0 { throw PowerLawFitError.nonPositiveX(index: i, x: p.x) }
            if p.weight <= 0 { throw PowerLawFitError.nonPositiveWeight(index: i, weight: p.weight) }
        }
        let distinct = Set(points.map(\.x)).count
        if distinct < needed {
            throw PowerLawFitError.tooFewPoints(given: points.count, distinctX: distinct, needed: needed)
        }
        let logX = points.map { log($0.x) }
        let meanLog = logX.reduce(0, +) / Double(logX.count)
        x0 = exp(meanLog)
        logU = logX.map { $0 - meanLog }
        y = points.map(\.y)
        w = points.map(\.weight)
        distinctX = distinct
    }

    /// Model value at point `i` for amplitude `aU` on the rescaled axis.
    @inline(__always)
    func model(_ i: Int, aU: Double, b: Double, c: Double) -> Double {
        aU == 0 ? c : aU * exp(-b * logU[i]) + c
    }

    /// Weighted sum of squared residuals on y (the quantity the fit minimises).
    func sse(aU: Double, b: Double, c: Double) -> Double {
        var s = 0.0
        for i in 0..<count {
            let r = model(i, aU: aU, b: b, c: c) - y[i]
            s += w[i] * r * r
        }
        return s
    }
}

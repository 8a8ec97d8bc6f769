/// Goodness of fit on y, weighted the same way as the fit, so that R^2 and RMSE
/// describe the objective that was actually minimised.
struct FitStatistics {
    let r2: Double
    let rmse: Double

    init(data: FitData, law aU: Double, b: Double, c: Double) {
        let sw = data.w.reduce(0, +)
        var mean = 0.0
        for i in 0..<data.count { mean += data.w[i] * data.y[i] }
        mean /= sw
        var ssTot = 0.0
        for i in 0..<data.count { ssTot += data.w[i] * (data.y[i] - mean) * (data.y[i] - mean) }
        let ssRes = data.sse(aU: aU, b: b, c: c)
        // Constant y: R^2 is 0/0; call an exact fit 1 and anything else 0, never NaN.
        if ssTot > 0 {
            r2 = 1 - ssRes / ssTot
        } else {
            r2 = ssRes <= 1e-300 ? 1 : 0
        }
        rmse = (ssRes / sw).squareRoot()
    }
}

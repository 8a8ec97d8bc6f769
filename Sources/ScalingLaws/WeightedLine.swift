/// Weighted least-squares straight line `z = intercept + slope * t`.
///
/// The inner step of the c-search: for a fixed `c`, `log(y - c) = log a - b log x`
/// is a line, so `a` and `b` come out in closed form and the search is only 1-D.
struct WeightedLine {
    let intercept: Double
    let slope: Double

    /// Returns nil when the weights vanish or all `t` coincide (no slope is defined).
    init?(t: [Double], z: [Double], weights: [Double]) {
        var sw = 0.0, st = 0.0, sz = 0.0
        for i in t.indices {
            sw += weights[i]
            st += weights[i] * t[i]
            sz += weights[i] * z[i]
        }
        guard sw > 0, sw.isFinite else { return nil }
        let mt = st / sw, mz = sz / sw
        var stt = 0.0, stz = 0.0
        for i in t.indices {
            let dt = t[i] - mt
            stt += weights[i] * dt * dt
            stz += weights[i] * dt * (z[i] - mz)
        }
        guard stt > 0, stt.isFinite, stz.isFinite else { return nil }
        slope = stz / stt
        intercept = mz - slope * mt
    }
}

import Tensors

/// Central finite differences against a hand-written backward, for every
/// module's tests (layers, the kernel recommenders' vector-Jacobian
/// products, ...). It reports; the test target asserts (this module links no
/// XCTest, so the multi-rank suites can use it too).
public enum GradientCheck {
    public struct Report {
        /// One line per element outside the tolerance, the first few only.
        public var failures: [String]
        public var failureCount: Int
        /// The largest |analytic| seen: a check over an all-zero gradient proves nothing.
        public var maxAbsAnalytic: Double
    }

    /// d loss / d value[i] for each of `count` floats, compared with
    /// `analytic`: |a - n| <= rtol * max(|a|, |n|) + atol per element. The
    /// step is the representable one, `Float(v + eps) - Float(v - eps)`.
    public static func compare(_ label: String, value: UnsafeMutablePointer<Float>, count: Int,
                               analytic: UnsafePointer<Float>, eps: Float = 1e-3, rtol: Double = 1e-2,
                               atol: Double = 2e-3, loss: () -> Double) -> Report {
        var report = Report(failures: [], failureCount: 0, maxAbsAnalytic: 0)
        for i in 0..<count {
            let v = value[i]
            value[i] = v + eps
            let hiV = value[i]
            let lp = loss()
            value[i] = v - eps
            let loV = value[i]
            let lm = loss()
            value[i] = v
            let numeric = (lp - lm) / Double(hiV - loV)
            let a = Double(analytic[i])
            report.maxAbsAnalytic = max(report.maxAbsAnalytic, abs(a))
            if abs(a - numeric) > rtol * max(abs(a), abs(numeric)) + atol {
                report.failureCount += 1
                if report.failures.count < 5 { report.failures.append("\(label)[\(i)]: analytic \(a) vs numeric \(numeric)") }
            }
        }
        return report
    }
}

/// A buffer of uniform(-scale, scale) floats from a seeded sequential RNG.
public func randomBuffer(_ count: Int, seed: UInt64, scale: Float = 1) -> FlatBuffer<Float> {
    var rng = StrataRNG(seed: seed)
    let buf = FlatBuffer<Float>(count: count)
    for i in 0..<count { buf[i] = Float.random(in: -scale...scale, using: &rng) }
    return buf
}

public func int32Buffer(_ values: [Int32]) -> FlatBuffer<Int32> {
    let buf = FlatBuffer<Int32>(count: values.count)
    for (i, v) in values.enumerated() { buf[i] = v }
    return buf
}

/// sum_k w_k y_k in Double: the scalar whose gradient w.r.t. y is w.
public func weightedSum(_ y: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ n: Int) -> Double {
    var s = 0.0
    for k in 0..<n { s += Double(y[k]) * Double(w[k]) }
    return s
}

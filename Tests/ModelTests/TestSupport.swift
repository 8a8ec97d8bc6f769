import XCTest
import Tensors

/// A buffer of uniform(-scale, scale) floats from a seeded sequential RNG.
func randomBuffer(_ count: Int, seed: UInt64, scale: Float = 1) -> FlatBuffer<Float> {
    var rng = StrataRNG(seed: seed)
    let buf = FlatBuffer<Float>(count: count)
    for i in 0..<count { buf[i] = Float.random(in: -scale...scale, using: &rng) }
    return buf
}

func int32Buffer(_ values: [Int32]) -> FlatBuffer<Int32> {
    let buf = FlatBuffer<Int32>(count: values.count)
    for (i, v) in values.enumerated() { buf[i] = v }
    return buf
}

/// sum_k w_k y_k in Double: the scalar whose gradient w.r.t. y is w.
func weightedSum(_ y: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ n: Int) -> Double {
    var s = 0.0
    for k in 0..<n { s += Double(y[k]) * Double(w[k]) }
    return s
}

/// Central finite differences of `loss` w.r.t. each of `count` floats at `value`,
/// compared with `analytic`: |a - n| <= rtol * max(|a|, |n|) + atol per element.
/// The step is the actually representable one, `Float(v + eps) - Float(v - eps)`.
func assertGradient(_ label: String, value: UnsafeMutablePointer<Float>, count: Int,
                    analytic: UnsafePointer<Float>, eps: Float = 1e-3, rtol: Double = 1e-2,
                    atol: Double = 2e-3, loss: () -> Double,
                    file: StaticString = #filePath, line: UInt = #line) {
    var failures = 0
    var maxAbs = 0.0
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
        maxAbs = max(maxAbs, abs(a))
        if abs(a - numeric) > rtol * max(abs(a), abs(numeric)) + atol {
            failures += 1
            if failures <= 5 {
                XCTFail("\(label)[\(i)]: analytic \(a) vs numeric \(numeric)", file: file, line: line)
            }
        }
    }
    // A check over all-zero gradients proves nothing.
    XCTAssertGreaterThan(maxAbs, 1e-3, "\(label): gradient is (nearly) all zero", file: file, line: line)
}

/// Elementwise |a - b| <= rel * max(1e-30, max_k |b_k|): relative to the tensor's scale.
func assertClose(_ label: String, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int,
                 rel: Float, file: StaticString = #filePath, line: UInt = #line) {
    var scale: Float = 1e-30
    for k in 0..<count { scale = max(scale, abs(b[k])) }
    var failures = 0
    for k in 0..<count where !(abs(a[k] - b[k]) <= rel * scale) {
        failures += 1
        if failures <= 5 { XCTFail("\(label)[\(k)]: \(a[k]) vs \(b[k]) (scale \(scale))", file: file, line: line) }
    }
}

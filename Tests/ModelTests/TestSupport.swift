import XCTest
import StrataTestSupport
import Tensors

/// `GradientCheck.compare` as an assertion (StrataTestSupport holds the check).
func assertGradient(_ label: String, value: UnsafeMutablePointer<Float>, count: Int,
                    analytic: UnsafePointer<Float>, eps: Float = 1e-3, rtol: Double = 1e-2,
                    atol: Double = 2e-3, loss: () -> Double,
                    file: StaticString = #filePath, line: UInt = #line) {
    let report = GradientCheck.compare(label, value: value, count: count, analytic: analytic, eps: eps, rtol: rtol,
                                       atol: atol, loss: loss)
    for f in report.failures { XCTFail(f, file: file, line: line) }
    // A check over all-zero gradients proves nothing.
    XCTAssertGreaterThan(report.maxAbsAnalytic, 1e-3, "\(label): gradient is (nearly) all zero", file: file, line: line)
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

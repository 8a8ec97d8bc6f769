import XCTest
import Tensors
import Model
import StrataTestSupport

final class DotInteractionTests: XCTestCase {
    func testOrderOnWorkedExample() {
        // F = 3, D = 2: x0 = [1, 2], x1 = [3, 4], x2 = [5, 6]
        let x = FlatBuffer<Float>(count: 6)
        for k in 0..<6 { x[k] = Float(k + 1) }
        let layer = DotInteraction(features: 3, dim: 2)
        let out = FlatBuffer<Float>(count: layer.outputWidth)
        layer.forward(x: x.pointer, out: out.pointer, batch: 1)
        // [x0, x1.x0, x2.x0, x2.x1]
        XCTAssertEqual(Array(out.buffer), [1, 2, 11, 17, 39])
    }

    func testGradient() {
        for D in [5, 8, 16] { checkGradient(F: 4, D: D) }
        checkGradient(F: 27, D: 16)   // the Kaggle shape
        checkGradient(F: 1, D: 3)     // no pairs: feature 0 passes through
    }

    /// Every pair of the Kaggle shape against plain Double dot products, in
    /// the output order, for several samples (the GEMM path reads a sample's
    /// rows at a stride, and a wrong stride would mix samples).
    func testForwardMatchesDotProducts() {
        let B = 3, F = 27, D = 16
        let layer = DotInteraction(features: F, dim: D)
        let x = randomBuffer(B * F * D, seed: 3)
        let out = FlatBuffer<Float>(count: B * layer.outputWidth)
        layer.forward(x: x.pointer, out: out.pointer, batch: B)
        for b in 0..<B {
            let xb = x.pointer + b * F * D, ob = out.pointer + b * layer.outputWidth
            for d in 0..<D { XCTAssertEqual(ob[d], xb[d]) }
            var p = D
            for i in 0..<F {
                for j in 0..<i {
                    var s = 0.0
                    for d in 0..<D { s += Double(xb[i * D + d]) * Double(xb[j * D + d]) }
                    XCTAssertEqual(Double(ob[p]), s, accuracy: 1e-5 * max(1, abs(s)), "b \(b) pair (\(i), \(j))")
                    p += 1
                }
            }
        }
    }

    func checkGradient(F: Int, D: Int) {
        let B = 3
        let layer = DotInteraction(features: F, dim: D)
        let x = randomBuffer(B * F * D, seed: 1), w = randomBuffer(B * layer.outputWidth, seed: 2)
        let out = FlatBuffer<Float>(count: B * layer.outputWidth), dx = FlatBuffer<Float>(count: B * F * D)
        let loss = { () -> Double in
            layer.forward(x: x.pointer, out: out.pointer, batch: B)
            return weightedSum(out.pointer, w.pointer, B * layer.outputWidth)
        }
        dx.pointer.update(repeating: 7, count: dx.count)  // backward overwrites
        layer.backward(x: x.pointer, dOut: w.pointer, dx: dx.pointer, batch: B)
        assertGradient("x", value: x.pointer, count: B * F * D, analytic: dx.pointer, loss: loss)
    }
}

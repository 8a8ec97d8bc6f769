import XCTest
import Tensors
import Model

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

    /// D = 5 takes the pairwise backward; 8 and 16 the register-accumulating one.
    func testGradient() {
        for D in [5, 8, 16] { checkGradient(D: D) }
    }

    func checkGradient(D: Int) {
        let B = 3, F = 4
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

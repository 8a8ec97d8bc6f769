import XCTest
import Tensors
import Model

final class LossTests: XCTestCase {
    func testValueStableAndGradient() {
        let B = 6
        let z = FlatBuffer<Float>(count: B), y = FlatBuffer<Float>(count: B), dz = FlatBuffer<Float>(count: B)
        for (k, v) in [-3, -0.5, 0, 0.7, 2.5, 1].enumerated() { z[k] = Float(v) }
        for (k, v) in [0, 1, 1, 0, 1, 0].enumerated() { y[k] = Float(v) }
        let scale: Float = 0.25
        let value = BinaryCrossEntropy.forward(logits: z.pointer, labels: y.pointer, count: B, scale: scale, dLogits: dz.pointer)
        var ref = 0.0
        for b in 0..<B {
            let p = 1 / (1 + exp(-Double(z[b])))
            ref += -(Double(y[b]) * log(p) + (1 - Double(y[b])) * log(1 - p))
        }
        XCTAssertEqual(Double(value), ref, accuracy: 1e-5 * ref)
        let scratch = FlatBuffer<Float>(count: B)
        assertGradient("z", value: z.pointer, count: B, analytic: dz.pointer, loss: {
            Double(scale) * Double(BinaryCrossEntropy.forward(logits: z.pointer, labels: y.pointer, count: B,
                                                               scale: scale, dLogits: scratch.pointer))
        })
    }

    func testExtremeLogitsAreFinite() {
        let z = FlatBuffer<Float>(count: 2), y = FlatBuffer<Float>(count: 2), dz = FlatBuffer<Float>(count: 2)
        z[0] = 200; z[1] = -200; y[0] = 0; y[1] = 1
        let v = BinaryCrossEntropy.forward(logits: z.pointer, labels: y.pointer, count: 2, scale: 1, dLogits: dz.pointer)
        XCTAssertEqual(v, 400, accuracy: 1e-3)
        XCTAssertEqual(dz[0], 1, accuracy: 1e-6)
        XCTAssertEqual(dz[1], -1, accuracy: 1e-6)
    }
}

import XCTest
import Tensors
import Model
import StrataTestSupport

final class MLPTests: XCTestCase {
    func check(last: Activation) {
        let B = 4, input = 6, widths = [8, 5, 3]
        let n = MLP.parameterCount(input: input, widths: widths)
        let params = FlatBuffer<Float>(count: n), grads = FlatBuffer<Float>(count: n)
        let mlp = MLP(input: input, widths: widths, lastActivation: last, maxBatch: 6,
                      params: params.pointer, grads: grads.pointer)
        mlp.initialize(seed: 5, firstLayer: 0)
        let x = randomBuffer(B * input, seed: 21), w = randomBuffer(B * 3, seed: 2)
        let dx = FlatBuffer<Float>(count: B * input)
        let loss = { () -> Double in weightedSum(mlp.forward(x.pointer, batch: B), w.pointer, B * 3) }
        _ = loss()
        mlp.backward(w.pointer, dx: dx.pointer)
        assertGradient("params", value: params.pointer, count: n, analytic: grads.pointer, loss: loss)
        assertGradient("x", value: x.pointer, count: B * input, analytic: dx.pointer, loss: loss)
    }

    func testGradientLastReLU() { check(last: .relu) }
    func testGradientLastNone() { check(last: .none) }

    func testLayoutMatchesParameterCount() {
        var layout = ParameterLayout()
        MLP.addParameters(to: &layout, name: "bottom", input: 13, widths: [16, 8])
        XCTAssertEqual(layout.count, MLP.parameterCount(input: 13, widths: [16, 8]))
        XCTAssertEqual(layout.entry(named: "bottom.1.weight")?.shape, [8, 16])
        XCTAssertEqual(layout.offset(of: "bottom.1.weight"), 16 * 13 + 16)
    }
}

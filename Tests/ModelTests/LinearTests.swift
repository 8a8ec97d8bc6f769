import XCTest
import Tensors
import Model
import StrataTestSupport

final class LinearTests: XCTestCase {
    let B = 5, I = 7, O = 4

    func check(relu: Bool) {
        let params = FlatBuffer<Float>(count: Linear.parameterCount(inputs: I, outputs: O))
        let grads = FlatBuffer<Float>(count: params.count)
        let layer = Linear(inputs: I, outputs: O, params: params.pointer, grads: grads.pointer)
        layer.initialize(seed: 3, layer: 0)
        let x = randomBuffer(B * I, seed: 1), w = randomBuffer(B * O, seed: 2)
        let y = FlatBuffer<Float>(count: B * O), dy = FlatBuffer<Float>(count: B * O), dx = FlatBuffer<Float>(count: B * I)
        let loss = { () -> Double in
            layer.forward(x: x.pointer, y: y.pointer, batch: self.B, relu: relu)
            return weightedSum(y.pointer, w.pointer, self.B * self.O)
        }
        _ = loss()
        dy.pointer.update(from: w.pointer, count: B * O)
        layer.backward(x: x.pointer, y: y.pointer, dy: dy.pointer, dx: dx.pointer, batch: B, relu: relu)
        assertGradient("W", value: layer.weight, count: O * I, analytic: layer.dWeight, loss: loss)
        assertGradient("b", value: layer.bias, count: O, analytic: layer.dBias, loss: loss)
        assertGradient("x", value: x.pointer, count: B * I, analytic: dx.pointer, loss: loss)
        // Backward accumulates: a second pass doubles the parameter gradients.
        let before = Array(grads.buffer)
        dy.pointer.update(from: w.pointer, count: B * O)
        layer.backward(x: x.pointer, y: y.pointer, dy: dy.pointer, dx: nil, batch: B, relu: relu)
        for k in 0..<grads.count { XCTAssertEqual(grads[k], 2 * before[k], accuracy: 1e-5) }
    }

    func testGradientWithoutReLU() { check(relu: false) }
    func testGradientWithReLU() { check(relu: true) }

    func testForwardMatchesNaiveReference() {
        let params = randomBuffer(Linear.parameterCount(inputs: I, outputs: O), seed: 9)
        let grads = FlatBuffer<Float>(count: params.count)
        let layer = Linear(inputs: I, outputs: O, params: params.pointer, grads: grads.pointer)
        let x = randomBuffer(B * I, seed: 10)
        let y = FlatBuffer<Float>(count: B * O)
        layer.forward(x: x.pointer, y: y.pointer, batch: B, relu: true)
        for b in 0..<B {
            for o in 0..<O {
                var s = Double(layer.bias[o])
                for i in 0..<I { s += Double(x[b * I + i]) * Double(layer.weight[o * I + i]) }
                XCTAssertEqual(y[b * O + o], Float(max(s, 0)), accuracy: 1e-5)
            }
        }
    }

    /// The SIMD epilogues are bitwise equal to their scalar definitions, over
    /// widths with and without a 16-lane tail and inputs with zeros, negative
    /// values, -0 and NaN (which the ReLU keeps, as Swift.max does).
    func testEpiloguesMatchReferences() {
        let B = 9
        for O in [1, 5, 16, 17, 37, 64] {
            for relu in [false, true] {
                let bias = randomBuffer(O, seed: 20)
                let y = randomBuffer(B * O, seed: 21), yRef = FlatBuffer<Float>(count: B * O)
                y[0] = -0.0; y[B * O - 1] = .nan; bias[0] = 0
                yRef.pointer.update(from: y.pointer, count: B * O)
                Linear.addBias(y.pointer, bias: bias.pointer, rows: B, columns: O, relu: relu)
                Linear.addBiasReference(yRef.pointer, bias: bias.pointer, rows: B, columns: O, relu: relu)
                for k in 0..<(B * O) { XCTAssertEqual(y[k].bitPattern, yRef[k].bitPattern, "addBias O=\(O) relu=\(relu) k=\(k)") }

                let dy = randomBuffer(B * O, seed: 22), dyRef = FlatBuffer<Float>(count: B * O)
                dyRef.pointer.update(from: dy.pointer, count: B * O)
                let db = randomBuffer(O, seed: 23), dbRef = FlatBuffer<Float>(count: O)
                dbRef.pointer.update(from: db.pointer, count: O)
                let yMasked = randomBuffer(B * O, seed: 24)  // negative half the time
                Linear.maskAndSumColumns(y: yMasked.pointer, dy: dy.pointer, dBias: db.pointer, rows: B, columns: O, relu: relu)
                Linear.maskAndSumColumnsReference(y: yMasked.pointer, dy: dyRef.pointer, dBias: dbRef.pointer,
                                                  rows: B, columns: O, relu: relu)
                for k in 0..<(B * O) { XCTAssertEqual(dy[k].bitPattern, dyRef[k].bitPattern, "mask O=\(O) relu=\(relu) k=\(k)") }
                for o in 0..<O { XCTAssertEqual(db[o].bitPattern, dbRef[o].bitPattern, "dBias O=\(O) relu=\(relu) o=\(o)") }
            }
        }
    }

    func testInitStatistics() {
        let I = 64, O = 32
        let params = FlatBuffer<Float>(count: Linear.parameterCount(inputs: I, outputs: O))
        let layer = Linear(inputs: I, outputs: O, params: params.pointer, grads: FlatBuffer<Float>(count: params.count).pointer)
        layer.initialize(seed: 1, layer: 2)
        var s = 0.0, s2 = 0.0
        for k in 0..<(I * O) { s += Double(layer.weight[k]); s2 += Double(layer.weight[k] * layer.weight[k]) }
        let n = Double(I * O)
        XCTAssertEqual(s / n, 0, accuracy: 0.02)
        XCTAssertEqual((s2 / n).squareRoot(), (2.0 / Double(I + O)).squareRoot(), accuracy: 0.01)
    }
}

import XCTest
import Tensors
import Model
import StrataTestSupport

final class OptimizerTests: XCTestCase {
    func testSGDAndAdagradByHand() {
        let p = FlatBuffer<Float>(count: 2), g = FlatBuffer<Float>(count: 2), s = FlatBuffer<Float>(count: 2)
        p[0] = 1; p[1] = -2; g[0] = 0.5; g[1] = -4
        SGD.step(params: p.pointer, grads: g.pointer, count: 2, learningRate: 0.1)
        XCTAssertEqual(p[0], 0.95, accuracy: 1e-7)
        XCTAssertEqual(p[1], -1.6, accuracy: 1e-7)
        // Adagrad: s = g^2, step = lr * g / |g| = lr * sign(g) on the first step.
        Adagrad.step(params: p.pointer, grads: g.pointer, state: s.pointer, count: 2, learningRate: 0.1)
        XCTAssertEqual(s[0], 0.25); XCTAssertEqual(s[1], 16)
        XCTAssertEqual(p[0], 0.85, accuracy: 1e-6)
        XCTAssertEqual(p[1], -1.5, accuracy: 1e-6)
        // Second step: s = 2 g^2, step = lr / sqrt(2).
        Adagrad.step(params: p.pointer, grads: g.pointer, state: s.pointer, count: 2, learningRate: 0.1)
        XCTAssertEqual(p[0], 0.85 - 0.1 / Float(2).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(p[1], -1.5 + 0.1 / Float(2).squareRoot(), accuracy: 1e-6)
    }

    func testRowWiseAdagradTouchesOnlyGivenRows() {
        let R = 4, D = 2
        let table = FlatBuffer<Float>(count: R * D), acc = FlatBuffer<Float>(count: R)
        for k in 0..<(R * D) { table[k] = Float(k) }
        let rows = int32Buffer([2, 0])
        let grads = FlatBuffer<Float>(count: 2 * D)
        grads[0] = 3; grads[1] = 4   // row 2: mean g^2 = 12.5
        grads[2] = 1; grads[3] = -1  // row 0: mean g^2 = 1
        RowWiseAdagrad.step(table: table.pointer, accumulators: acc.pointer, dim: D, rows: rows.pointer,
                            gradRows: grads.pointer, count: 2, learningRate: 0.5, eps: 0)
        XCTAssertEqual(Array(acc.buffer), [1, 0, 12.5, 0])
        let s2 = 0.5 / Float(12.5).squareRoot()
        XCTAssertEqual(table[4], 4 - s2 * 3, accuracy: 1e-6)
        XCTAssertEqual(table[5], 5 - s2 * 4, accuracy: 1e-6)
        XCTAssertEqual(table[0], 0 - 0.5, accuracy: 1e-6)
        XCTAssertEqual(table[1], 1 + 0.5, accuracy: 1e-6)
        // Untouched rows 1 and 3 keep their values.
        XCTAssertEqual([table[2], table[3], table[6], table[7]], [2, 3, 6, 7])
    }

    func testAggregateRowsSumsDuplicatesAndResets() {
        let agg = RowAggregator(tableRows: 8, maxIds: 5, dim: 2)
        let rows = int32Buffer([5, 2, 5, 7, 2])
        let grads = FlatBuffer<Float>(count: 10)
        for k in 0..<10 { grads[k] = Float(k) }
        let u = agg.aggregate(rows: rows.pointer, gradRows: grads.pointer, count: 5)
        XCTAssertEqual(u, 3)
        XCTAssertEqual((0..<3).map { agg.uniqueRows[$0] }, [5, 2, 7])
        let expected: [Float] = [4, 6, 10, 12, 6, 7]  // rows 5 (ids 0, 2), 2 (ids 1, 4), 7 (id 3)
        XCTAssertEqual((0..<6).map { agg.uniqueGrads[$0] }, expected)
        // A second call starts from a clean map.
        let u2 = agg.aggregate(rows: rows.pointer + 3, gradRows: grads.pointer + 6, count: 2)
        XCTAssertEqual(u2, 2)
        XCTAssertEqual((0..<2).map { agg.uniqueRows[$0] }, [7, 2])
        XCTAssertEqual((0..<4).map { agg.uniqueGrads[$0] }, [6, 7, 8, 9])
    }

    func testEmbeddingSGD() {
        let table = FlatBuffer<Float>(count: 6)
        let rows = int32Buffer([1]), g = FlatBuffer<Float>(count: 2)
        g[0] = 1; g[1] = -2
        EmbeddingSGD.step(table: table.pointer, dim: 2, rows: rows.pointer, gradRows: g.pointer, count: 1, learningRate: 0.5)
        XCTAssertEqual(Array(table.buffer), [0, 0, -0.5, 1, 0, 0])
    }
}

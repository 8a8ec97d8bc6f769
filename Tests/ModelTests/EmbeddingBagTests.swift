import XCTest
import Tensors
import Model
import StrataTestSupport

final class EmbeddingBagTests: XCTestCase {
    let R = 6, D = 3
    // 4 bags, bag 2 empty, row 1 used twice in bag 0.
    let ids: [Int32] = [1, 4, 1, 0, 5, 2, 3]
    let offs: [Int32] = [0, 3, 5, 5, 7]

    func testWorkedExample() {
        let table = FlatBuffer<Float>(count: 6)
        for (k, v) in [1, 1, 2, 2, 3, 3].enumerated() { table[k] = Float(v) }
        let ids = int32Buffer([0, 2, 2]), offs = int32Buffer([0, 2, 2, 3])
        let out = randomBuffer(6, seed: 1)
        EmbeddingBag.poolForward(table: table.pointer, dim: 2, rowIndices: ids.pointer, offsets: offs.pointer,
                                 bags: 3, mode: .mean, out: out.pointer)
        XCTAssertEqual(Array(out.buffer), [2, 2, 0, 0, 3, 3])
    }

    func testFastMatchesReference() {
        for mode in [PoolingMode.sum, .mean] {
            let table = randomBuffer(R * D, seed: 1), ids = int32Buffer(ids), offs = int32Buffer(offs)
            let a = randomBuffer(4 * D, seed: 2), b = randomBuffer(4 * D, seed: 3)
            EmbeddingBag.poolForward(table: table.pointer, dim: D, rowIndices: ids.pointer, offsets: offs.pointer,
                                     bags: 4, mode: mode, out: a.pointer)
            EmbeddingBag.poolForwardReference(table: table.pointer, dim: D, rowIndices: ids.pointer,
                                              offsets: offs.pointer, bags: 4, mode: mode, out: b.pointer)
            assertClose("pool \(mode)", a.pointer, b.pointer, count: 4 * D, rel: 1e-6)
            for d in 0..<D { XCTAssertEqual(a[2 * D + d], 0, "empty bag is zero") }
        }
    }

    func testGradientSumAndMean() {
        for mode in [PoolingMode.sum, .mean] {
            let table = randomBuffer(R * D, seed: 1), ids = int32Buffer(ids), offs = int32Buffer(offs)
            let out = FlatBuffer<Float>(count: 4 * D), w = randomBuffer(4 * D, seed: 5)
            let grows = FlatBuffer<Float>(count: ids.count * D), dTable = FlatBuffer<Float>(count: R * D)
            let loss = { () -> Double in
                EmbeddingBag.poolForward(table: table.pointer, dim: self.D, rowIndices: ids.pointer,
                                         offsets: offs.pointer, bags: 4, mode: mode, out: out.pointer)
                return weightedSum(out.pointer, w.pointer, 4 * self.D)
            }
            EmbeddingBag.poolBackward(dOut: w.pointer, dim: D, offsets: offs.pointer, bags: 4, mode: mode,
                                      gradRows: grows.pointer)
            // The owner aggregates unpooled gradient rows by id.
            for n in 0..<ids.count { for d in 0..<D { dTable[Int(ids[n]) * D + d] += grows[n * D + d] } }
            assertGradient("table \(mode)", value: table.pointer, count: R * D, analytic: dTable.pointer, loss: loss)
        }
    }

    func testGatherRows() {
        let table = randomBuffer(R * D, seed: 1), ids = int32Buffer(ids)
        let out = FlatBuffer<Float>(count: ids.count * D)
        EmbeddingBag.gatherRows(table: table.pointer, dim: D, rowIndices: ids.pointer, count: ids.count, out: out.pointer)
        for n in 0..<ids.count { for d in 0..<D { XCTAssertEqual(out[n * D + d], table[Int(ids[n]) * D + d]) } }
    }
}

import XCTest
import Tensors
import Model

final class InitTests: XCTestCase {
    /// Shards initialise their own rows in their own order; the values must not care.
    func testEmbeddingInitIndependentOfOrderAndSubset() {
        let R = 50, D = 8
        let full = FlatBuffer<Float>(count: R * D)
        for r in 0..<R { initEmbeddingRow(seed: 9, table: 3, row: r, dim: D, rowsInTable: R, out: full.pointer + r * D) }
        // A "shard" holding every third row, initialised backwards.
        let mine = Array(stride(from: 1, to: R, by: 3)).reversed()
        let shard = FlatBuffer<Float>(count: mine.count * D)
        for (k, r) in mine.enumerated() {
            initEmbeddingRow(seed: 9, table: 3, row: r, dim: D, rowsInTable: R, out: shard.pointer + k * D)
        }
        for (k, r) in mine.enumerated() {
            for d in 0..<D { XCTAssertEqual(shard[k * D + d], full[r * D + d]) }
        }
        let bound = (1 / Float(R)).squareRoot()
        var distinct = Set<Float>()
        for k in 0..<(R * D) { XCTAssertLessThanOrEqual(abs(full[k]), bound); distinct.insert(full[k]) }
        XCTAssertGreaterThan(distinct.count, R * D - 5, "values differ across rows and columns")
        // Another table or seed gives other values.
        let other = FlatBuffer<Float>(count: D)
        initEmbeddingRow(seed: 9, table: 4, row: 0, dim: D, rowsInTable: R, out: other.pointer)
        XCTAssertNotEqual(Array(other.buffer), Array(full.buffer[0..<D]))
    }

    func testCounterRNGIsPureAndRoughlyStandard() {
        XCTAssertEqual(StrataRNG.normal(seed: 1, stream: 2, index: 3), StrataRNG.normal(seed: 1, stream: 2, index: 3))
        XCTAssertNotEqual(StrataRNG.uniform(seed: 1, stream: 2, index: 3), StrataRNG.uniform(seed: 1, stream: 2, index: 4))
        var s = 0.0, s2 = 0.0, us = 0.0
        let n = 20000
        for i in 0..<n {
            let z = Double(StrataRNG.normal(seed: 5, stream: 0, index: UInt64(i)))
            s += z; s2 += z * z
            let u = StrataRNG.uniform(seed: 5, stream: 1, index: UInt64(i))
            XCTAssert(u >= 0 && u < 1)
            us += Double(u)
        }
        XCTAssertEqual(s / Double(n), 0, accuracy: 0.03)
        XCTAssertEqual(s2 / Double(n), 1, accuracy: 0.05)
        XCTAssertEqual(us / Double(n), 0.5, accuracy: 0.01)
    }

    func testDenseInitIsDeterministic() {
        let shape = DLRMShape(denseFeatures: 3, bottom: [4], top: [2, 1], pooledFeatures: 1, sequenceFeatures: 1,
                              embeddingDim: 4, encoder: .targetAttention, targetQueryFeature: 0, maxBatch: 2,
                              maxSequenceRows: 4)
        let a = DLRMDense(shape: shape, seed: 1), b = DLRMDense(shape: shape, seed: 1), c = DLRMDense(shape: shape, seed: 2)
        XCTAssertEqual(Array(a.params.buffer), Array(b.params.buffer))
        XCTAssertNotEqual(Array(a.params.buffer), Array(c.params.buffer))
    }

    func testParameterLayoutOffsets() {
        var layout = ParameterLayout()
        XCTAssertEqual(layout.add("a", shape: [2, 3]), 0)
        XCTAssertEqual(layout.add("b", shape: [4]), 6)
        XCTAssertEqual(layout.count, 10)
        XCTAssertEqual(layout.offset(of: "b"), 6)
        XCTAssertNil(layout.entry(named: "c"))
    }
}

import XCTest
import Tensors
import Model
import StrataTestSupport

final class SequenceEncoderTests: XCTestCase {
    let D = 4
    // U = 4 unique sequences, sequence 1 empty; N = 7 rows.
    let offsets: [Int32] = [0, 3, 3, 5, 7]
    // B = 6 samples; samples 0, 1 and 4 share sequence 0; sample 3 has the empty one.
    let inverse: [Int32] = [0, 0, 2, 1, 0, 3]
    let kinds: [SequenceEncoderKind] = [.mean, .attention(heads: 1), .attention(heads: 3), .targetAttention]

    struct Setup {
        let encoder: SequenceEncoder
        let params: FlatBuffer<Float>, grads: FlatBuffer<Float>
    }

    func makeEncoder(_ kind: SequenceEncoderKind, maxBatch: Int = 8, maxRows: Int = 32) -> Setup {
        let n = SequenceEncoder.parameterCount(kind: kind, dim: D)
        let params = FlatBuffer<Float>(count: n), grads = FlatBuffer<Float>(count: n)
        let enc = SequenceEncoder(kind: kind, dim: D, maxBatch: maxBatch, maxRows: maxRows,
                                  params: params.pointer, grads: grads.pointer)
        enc.initialize(seed: 42, stream: 100)
        // Larger weights than init so the softmax is far from uniform (a sharper check).
        for k in 0..<n { params[k] *= 2 }
        return Setup(encoder: enc, params: params, grads: grads)
    }

    func testGradientsOfEveryKind() {
        let U = offsets.count - 1, N = Int(offsets[U]), B = inverse.count
        for kind in kinds {
            let s = makeEncoder(kind)
            let rows = randomBuffer(N * D, seed: 1), query = randomBuffer(B * D, seed: 2)
            let offs = int32Buffer(offsets), inv = int32Buffer(inverse)
            let seq = SequenceBatch(rows: rows.pointer, offsets: offs.pointer, uniqueCount: U, inverse: inv.pointer)
            let out = FlatBuffer<Float>(count: B * D), w = randomBuffer(B * D, seed: 3)
            let dRows = randomBuffer(N * D, seed: 4)  // garbage: backward must zero it
            let dQuery = FlatBuffer<Float>(count: B * D)
            let loss = { () -> Double in
                s.encoder.forward(seq, batch: B, query: query.pointer, out: out.pointer)
                return weightedSum(out.pointer, w.pointer, B * self.D)
            }
            _ = loss()
            for d in 0..<D { XCTAssertEqual(out[3 * D + d], 0, "\(kind): empty sequence gives zeros") }
            s.encoder.backward(dOut: w.pointer, dRows: dRows.pointer, dQuery: dQuery.pointer)
            assertGradient("\(kind) rows", value: rows.pointer, count: N * D, analytic: dRows.pointer, loss: loss)
            if s.params.count > 0 {
                assertGradient("\(kind) params", value: s.params.pointer, count: s.params.count,
                               analytic: s.grads.pointer, loss: loss)
            }
            if kind == .targetAttention {
                // The empty-sequence sample's query gets no gradient; the check skips it via atol.
                assertGradient("\(kind) query", value: query.pointer, count: B * D, analytic: dQuery.pointer, loss: loss)
            }
        }
    }

    /// Dedup is exact: U unique sequences + inverse == the same sequences expanded to B.
    func testDedupMatchesExpandedBatch() {
        let U = offsets.count - 1, N = Int(offsets[U]), B = inverse.count
        let rows = randomBuffer(N * D, seed: 7), query = randomBuffer(B * D, seed: 8), w = randomBuffer(B * D, seed: 9)
        // Expanded: sample b gets its own copy of sequence inverse[b]'s rows.
        var expOffsets: [Int32] = [0], expSource: [Int] = []
        for b in 0..<B {
            let u = Int(inverse[b])
            for i in Int(offsets[u])..<Int(offsets[u + 1]) { expSource.append(i) }
            expOffsets.append(Int32(expSource.count))
        }
        let M = expSource.count
        let expRows = FlatBuffer<Float>(count: M * D)
        for (m, i) in expSource.enumerated() { (expRows.pointer + m * D).update(from: rows.pointer + i * D, count: D) }
        let offs = int32Buffer(offsets), inv = int32Buffer(inverse)
        let eOffs = int32Buffer(expOffsets), identity = int32Buffer((0..<B).map(Int32.init))

        for kind in kinds {
            let a = makeEncoder(kind), b = makeEncoder(kind)
            let outA = FlatBuffer<Float>(count: B * D), outB = FlatBuffer<Float>(count: B * D)
            let dRowsA = FlatBuffer<Float>(count: N * D), dRowsB = FlatBuffer<Float>(count: M * D)
            let dQA = FlatBuffer<Float>(count: B * D), dQB = FlatBuffer<Float>(count: B * D)
            a.encoder.forward(SequenceBatch(rows: rows.pointer, offsets: offs.pointer, uniqueCount: U, inverse: inv.pointer),
                              batch: B, query: query.pointer, out: outA.pointer)
            b.encoder.forward(SequenceBatch(rows: expRows.pointer, offsets: eOffs.pointer, uniqueCount: B,
                                            inverse: identity.pointer),
                              batch: B, query: query.pointer, out: outB.pointer)
            assertClose("\(kind) out", outA.pointer, outB.pointer, count: B * D, rel: 1e-6)
            a.encoder.backward(dOut: w.pointer, dRows: dRowsA.pointer, dQuery: dQA.pointer)
            b.encoder.backward(dOut: w.pointer, dRows: dRowsB.pointer, dQuery: dQB.pointer)
            // Sum the expanded copies' gradients back onto the unique rows.
            let folded = FlatBuffer<Float>(count: N * D)
            for (m, i) in expSource.enumerated() { for d in 0..<D { folded[i * D + d] += dRowsB[m * D + d] } }
            assertClose("\(kind) dRows", dRowsA.pointer, folded.pointer, count: N * D, rel: 1e-6)
            assertClose("\(kind) dParams", a.grads.pointer, b.grads.pointer, count: a.grads.count, rel: 1e-6)
            assertClose("\(kind) dQuery", dQA.pointer, dQB.pointer, count: B * D, rel: 1e-6)
        }
    }

    func testMeanOnWorkedExample() {
        let s = makeEncoder(.mean)
        let rows = FlatBuffer<Float>(count: 3 * D)
        for k in 0..<(3 * D) { rows[k] = Float(k / D + 1) }  // rows 1s, 2s, 3s
        let offs = int32Buffer([0, 2, 3]), inv = int32Buffer([1, 0])
        let out = FlatBuffer<Float>(count: 2 * D)
        s.encoder.forward(SequenceBatch(rows: rows.pointer, offsets: offs.pointer, uniqueCount: 2, inverse: inv.pointer),
                          batch: 2, out: out.pointer)
        XCTAssertEqual(Array(out.buffer), [3, 3, 3, 3, 1.5, 1.5, 1.5, 1.5])
    }
}

import XCTest
#if canImport(Glibc)
import Glibc
#endif
import Tensors
import Model
import StrataTestSupport

/// GEMM-based paths against naive Double loops written from the definitions.
final class ReferenceTests: XCTestCase {
    func testLinearBackwardMatchesNaive() {
        let B = 6, I = 5, O = 3
        let params = randomBuffer(Linear.parameterCount(inputs: I, outputs: O), seed: 1)
        let grads = FlatBuffer<Float>(count: params.count)
        let layer = Linear(inputs: I, outputs: O, params: params.pointer, grads: grads.pointer)
        let x = randomBuffer(B * I, seed: 2), dy = randomBuffer(B * O, seed: 3)
        let y = FlatBuffer<Float>(count: B * O), dx = FlatBuffer<Float>(count: B * I)
        let dyCopy = Array(dy.buffer)
        layer.forward(x: x.pointer, y: y.pointer, batch: B, relu: false)
        layer.backward(x: x.pointer, y: y.pointer, dy: dy.pointer, dx: dx.pointer, batch: B, relu: false)
        for o in 0..<O {
            for i in 0..<I {
                var s = 0.0
                for b in 0..<B { s += Double(dyCopy[b * O + o]) * Double(x[b * I + i]) }
                XCTAssertEqual(layer.dWeight[o * I + i], Float(s), accuracy: 1e-5)
            }
        }
        for b in 0..<B {
            for i in 0..<I {
                var s = 0.0
                for o in 0..<O { s += Double(dyCopy[b * O + o]) * Double(layer.weight[o * I + i]) }
                XCTAssertEqual(dx[b * I + i], Float(s), accuracy: 1e-5)
            }
        }
    }

    /// The encoder applies Wk on the query side; the definition applies it to the
    /// keys, K = rows Wk^T. Both must give the same outputs.
    func testAttentionMatchesKeyDefinition() {
        let D = 4, H = 2
        let offsets: [Int32] = [0, 3, 5], inverse: [Int32] = [1, 0, 1]
        let N = 5, U = 2, B = 3
        let n = SequenceEncoder.parameterCount(kind: .attention(heads: H), dim: D)
        let params = randomBuffer(n, seed: 4, scale: 1.5), grads = FlatBuffer<Float>(count: n)
        let enc = SequenceEncoder(kind: .attention(heads: H), dim: D, maxBatch: 4, maxRows: 8,
                                  params: params.pointer, grads: grads.pointer)
        let rows = randomBuffer(N * D, seed: 5), out = FlatBuffer<Float>(count: B * D)
        let offs = int32Buffer(offsets), inv = int32Buffer(inverse)
        enc.forward(SequenceBatch(rows: rows.pointer, offsets: offs.pointer, uniqueCount: U, inverse: inv.pointer),
                    batch: B, out: out.pointer)
        let wk = params.pointer, q = params.pointer + D * D
        for b in 0..<B {
            let u = Int(inverse[b]), lo = Int(offsets[u]), hi = Int(offsets[u + 1])
            var o = [Double](repeating: 0, count: D)
            for h in 0..<H {
                var s: [Double] = []
                for i in lo..<hi {
                    var dot = 0.0
                    for d in 0..<D {
                        var k = 0.0  // K[i][d] = sum_e rows[i][e] Wk[d][e]
                        for e in 0..<D { k += Double(rows[i * D + e]) * Double(wk[d * D + e]) }
                        dot += Double(q[h * D + d]) * k
                    }
                    s.append(dot / Double(D).squareRoot())
                }
                let m = s.max()!, z = s.map { exp($0 - m) }.reduce(0, +)
                for (j, i) in (lo..<hi).enumerated() {
                    for d in 0..<D { o[d] += exp(s[j] - m) / z * Double(rows[i * D + d]) / Double(H) }
                }
            }
            for d in 0..<D { XCTAssertEqual(out[b * D + d], Float(o[d]), accuracy: 1e-5) }
        }
    }
}

import XCTest
import OneDNN
import Tensors

/// oneDNN's matmul against plain Swift oracles: fp32 to f32 rounding, and
/// bf16 against the bf16-rounded-input product accumulated in Double (what
/// hardware bf16 with f32 accumulation computes, up to the f32 sums).
final class OneDNNMatmulTests: XCTestCase {
    static func data(_ n: Int, _ stream: UInt64) -> [Float] {
        (0..<n).map { StrataRNG.uniform(seed: 9, stream: stream, index: UInt64($0)) - 0.5 }
    }

    /// y = x W^T in Double from (possibly rounded) inputs.
    static func oracle(_ x: [Float], _ w: [Float], m: Int, k: Int, n: Int, round: (Float) -> Float) -> [Double] {
        var y = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n {
            var s = 0.0
            for p in 0..<k { s += Double(round(x[i * k + p])) * Double(round(w[j * k + p])) }
            y[i * n + j] = s
        } }
        return y
    }

    static func worst(_ y: [Float], _ ref: [Double]) -> Double {
        let scale = ref.reduce(0) { max($0, abs($1)) }
        return zip(y, ref).reduce(0) { max($0, abs(Double($1.0) - $1.1)) } / scale
    }

    func testFp32AndBf16MatchTheirOracles() throws {
        setenv("OMP_NUM_THREADS", "1", 0)
        for (m, k, n) in [(7, 13, 5), (64, 367, 32), (33, 64, 16)] {
            let x = Self.data(m * k, 0), w = Self.data(n * k, 1)
            var y = [Float](repeating: 0, count: m * n)
            let f = try OneDNNMatmul(m: m, k: k, n: n, transposeB: true, precision: .fp32)
            f.run(a: x, b: w, c: &y)
            let exact = Self.oracle(x, w, m: m, k: k, n: n) { $0 }
            XCTAssertLessThan(Self.worst(y, exact), 1e-5, "fp32 \(m)x\(k)x\(n) (\(f.implementation))")

            let b: OneDNNMatmul
            do { b = try OneDNNMatmul(m: m, k: k, n: n, transposeB: true, precision: .bf16) } catch {
                throw XCTSkip("oneDNN offers no bf16 matmul on this CPU (\(OneDNN.isa)): \(error)")
            }
            b.run(a: x, b: w, c: &y)
            let rounded = Self.oracle(x, w, m: m, k: k, n: n) { Half16.decode(Half16.encode($0, .bf16), .bf16) }
            // Products of bf16 values are exact in f32; only the f32 sums round.
            XCTAssertLessThan(Self.worst(y, rounded), 1e-5, "bf16 against rounded inputs \(m)x\(k)x\(n) (\(b.implementation))")
            // Against exact fp32: within bf16's input rounding (2^-9 relative per
            // input), far above the f32 error, so the test tells the two apart.
            let e = Self.worst(y, exact)
            XCTAssertLessThan(e, 2 * 0x1p-9 * 4, "bf16 vs fp32 within bf16 rounding")
            XCTAssertGreaterThan(e, 1e-5, "bf16 really rounded its inputs")
        }
    }

    func testIsaIsNamed() {
        XCTAssertFalse(OneDNN.isa.isEmpty)
        print("oneDNN ISA: \(OneDNN.isa), native bf16: \(OneDNN.hasNativeBF16)")
    }
}

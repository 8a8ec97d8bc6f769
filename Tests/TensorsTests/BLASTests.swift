import XCTest
import Tensors

final class BLASTests: XCTestCase {
    func testGemmMatchesReferenceForEveryTransposition() {
        var rng = SystemRandomNumberGenerator()
        for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
            let m = 7, n = 5, k = 9
            let a = (0..<(m * k)).map { _ in Float.random(in: -1...1, using: &rng) }
            let b = (0..<(k * n)).map { _ in Float.random(in: -1...1, using: &rng) }
            var c0 = (0..<(m * n)).map { _ in Float.random(in: -1...1, using: &rng) }
            var c1 = c0
            let lda = transA ? m : k, ldb = transB ? k : n
            BLAS.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb,
                      beta: 2, c: &c0, ldc: n)
            gemmReference(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb,
                          beta: 2, c: &c1, ldc: n)
            for i in 0..<(m * n) { XCTAssertEqual(c0[i], c1[i], accuracy: 1e-4) }
        }
    }
}

import COpenBLAS

/// Dense products on OpenBLAS. The only Swift file that imports COpenBLAS.
///
/// Row-major throughout: `C[M x N] = alpha * op(A) * op(B) + beta * C`, where
/// op(A) is `[M x K]` (A stored `[K x M]` when `transA`), op(B) is `[K x N]`
/// (B stored `[N x K]` when `transB`).
public enum BLAS {
    @inline(__always)
    public static func gemm(transA: Bool = false, transB: Bool = false,
                            m: Int, n: Int, k: Int,
                            alpha: Float = 1,
                            a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            beta: Float = 0,
                            c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            // BLAS leaves C untouched when k == 0 only if beta == 1; be explicit.
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
            return
        }
        cblas_sgemm(CblasRowMajor,
                    transA ? CblasTrans : CblasNoTrans,
                    transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `y = alpha * x + y` over `n` floats.
    @inline(__always)
    public static func axpy(n: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        guard n > 0 else { return }
        cblas_saxpy(Int32(n), alpha, x, 1, y, 1)
    }

    /// Dot product of `n` floats.
    @inline(__always)
    public static func dot(n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
        guard n > 0 else { return 0 }
        return cblas_sdot(Int32(n), x, 1, y, 1)
    }

    /// OpenBLAS's worker threads (the launch scripts pin it to 1 per rank when
    /// ranks share cores; OPENBLAS_NUM_THREADS is read by OpenBLAS itself).
    public static var threads: Int { Int(strata_openblas_threads()) }

    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }
}

/// The naive reference for `BLAS.gemm`, for tests of the fast path.
public func gemmReference(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                          alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                          b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
                          c: UnsafeMutablePointer<Float>, ldc: Int) {
    for i in 0..<m {
        for j in 0..<n {
            var s: Double = 0
            for p in 0..<k {
                let av = transA ? a[p * lda + i] : a[i * lda + p]
                let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                s += Double(av) * Double(bv)
            }
            c[i * ldc + j] = alpha * Float(s) + (beta == 0 ? 0 : beta * c[i * ldc + j])
        }
    }
}

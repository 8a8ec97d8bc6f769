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

/// Double-precision products and the symmetric factorisations of LAPACK (from
/// OpenBLAS), for closed-form kernel solves where float's 7 digits are too few
/// (a kernel ridge with a regulariser 1e-5 of its mean diagonal).
///
/// Row-major like `BLAS.gemm`. A symmetric matrix is its own transpose, so the
/// column-major LAPACK routines read a row-major one unchanged; where a result
/// is not symmetric (eigenvectors, a solve's right-hand sides) the doc says
/// which layout comes back.
public enum LAPACK {
    /// `C[M x N] = alpha * op(A) * op(B) + beta * C`, doubles, row-major.
    public static func dgemm(transA: Bool = false, transB: Bool = false,
                             m: Int, n: Int, k: Int, alpha: Double = 1,
                             a: UnsafePointer<Double>, lda: Int,
                             b: UnsafePointer<Double>, ldb: Int, beta: Double = 0,
                             c: UnsafeMutablePointer<Double>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
            return
        }
        cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Eigendecomposition of the symmetric `n x n` matrix in `a` (divide and
    /// conquer, dsyevd). On return `w` holds the eigenvalues ascending and row i
    /// of `a` holds eigenvector i (so `a` read row-major is Vᵀ). Returns LAPACK's
    /// info (0 on success).
    public static func symmetricEigen(n: Int, a: UnsafeMutablePointer<Double>, w: UnsafeMutablePointer<Double>) -> Int {
        guard n > 0 else { return 0 }
        var jobz = Int8(UInt8(ascii: "V")), uplo = Int8(UInt8(ascii: "U"))
        var nn = Int32(n), lda = Int32(n), info: Int32 = 0
        // Workspace query first, then the call.
        var lwork: Int32 = -1, liwork: Int32 = -1, wq = 0.0, iwq: Int32 = 0
        dsyevd_(&jobz, &uplo, &nn, a, &lda, w, &wq, &lwork, &iwq, &liwork, &info)
        guard info == 0 else { return Int(info) }
        lwork = Int32(wq); liwork = iwq
        let work = UnsafeMutablePointer<Double>.allocate(capacity: Int(lwork))
        let iwork = UnsafeMutablePointer<Int32>.allocate(capacity: Int(liwork))
        defer { work.deallocate(); iwork.deallocate() }
        dsyevd_(&jobz, &uplo, &nn, a, &lda, w, work, &lwork, iwork, &liwork, &info)
        return Int(info)
    }

    /// Cholesky factor of the symmetric positive definite `n x n` matrix in `a`
    /// (dpotrf, in place). Returns info: 0, or k > 0 when the leading minor of
    /// order k is not positive definite.
    public static func cholesky(n: Int, a: UnsafeMutablePointer<Double>) -> Int {
        guard n > 0 else { return 0 }
        var uplo = Int8(UInt8(ascii: "U")), nn = Int32(n), lda = Int32(n), info: Int32 = 0
        dpotrf_(&uplo, &nn, a, &lda, &info)
        return Int(info)
    }

    /// Solves `A X = B` with the factor from `cholesky` (dpotrs). `b` holds the
    /// `nrhs` right-hand sides as ROWS (`[nrhs x n]` row-major, which is
    /// column-major `n x nrhs`) and receives the solutions the same way.
    public static func choleskySolve(n: Int, nrhs: Int, factor: UnsafePointer<Double>, b: UnsafeMutablePointer<Double>) -> Int {
        guard n > 0, nrhs > 0 else { return 0 }
        var uplo = Int8(UInt8(ascii: "U")), nn = Int32(n), nr = Int32(nrhs), lda = Int32(n), ldb = Int32(n), info: Int32 = 0
        dpotrs_(&uplo, &nn, &nr, factor, &lda, b, &ldb, &info)
        return Int(info)
    }
}

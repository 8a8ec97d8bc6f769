import OneDNN
import Tensors

/// One GEMM shape of the model and the kernel it runs on: OpenBLAS, or a
/// oneDNN primitive created here once (fp32, or bf16 with its narrowing
/// buffers). Layers that share a shape share the site (their calls never
/// overlap: one model runs one GEMM at a time). `run` allocates nothing.
public final class GemmSite {
    public let shape: GemmShape
    /// The kernels this site may run, each one it could create.
    public let allowed: [GemmKernel]
    /// The one it runs (`DenseGemm.tune` or `adopt` sets it).
    public internal(set) var kernel: GemmKernel
    /// The layers and directions that call it, e.g. "top.0 dW" (printed with the choice).
    public internal(set) var labels: [String] = []
    /// Nanoseconds per call of each allowed kernel, when timed.
    public internal(set) var timings: [GemmKernel: Double] = [:]
    /// The shortest reduction (K) offered bf16.
    public static let minimumBF16Depth = 8
    private let fp32: OneDNNMatmul?
    private let bf16: OneDNNMatmul?

    init(shape s: GemmShape, allowed wanted: [GemmKernel]) {
        shape = s
        func make(_ p: RowPrecision) -> OneDNNMatmul? {
            // A kernel oneDNN cannot build for this CPU and shape is just not offered.
            try? OneDNNMatmul(m: s.m, k: s.k, n: s.n, transposeA: s.transA, transposeB: s.transB,
                              accumulate: s.accumulate, scaled: s.scaled, precision: p)
        }
        fp32 = wanted.contains(.onednnFP32) ? make(.fp32) : nil
        // bf16 only where a dot product is long enough to gain from it: at
        // K = 1 (the logit layer's dx) oneDNN's bf16 result was measured
        // beyond input rounding (GemmKernelTests), and slower than fp32.
        bf16 = wanted.contains(.onednnBF16) && s.k >= GemmSite.minimumBF16Depth ? make(.bf16) : nil
        let made: [GemmKernel: Bool] = [.openblas: true, .onednnFP32: fp32 != nil, .onednnBF16: bf16 != nil]
        var ok = wanted.filter { made[$0] == true }
        if ok.isEmpty { ok = [.openblas] }
        allowed = ok
        kernel = ok[0]
    }

    /// `C = alpha op(A) op(B) (+ C)` on the chosen kernel; alpha must be 1 unless `shape.scaled`.
    @inline(__always)
    public func run(alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
        run(kernel, alpha: alpha, a: a, b: b, c: c)
    }

    /// One call on `kernel` (one of `allowed`), whichever is chosen: for timing and tests.
    @inline(__always)
    public func run(_ kernel: GemmKernel, alpha: Float, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
        let s = shape
        switch kernel {
        case .openblas:
            BLAS.gemm(transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k, alpha: alpha, a: a, lda: s.lda,
                      b: b, ldb: s.ldb, beta: s.accumulate ? 1 : 0, c: c, ldc: s.n)
        case .onednnFP32: fp32!.run(a: a, b: b, c: c, alpha: alpha)
        case .onednnBF16: bf16!.run(a: a, b: b, c: c, alpha: alpha)
        }
    }

    /// Whether a call of this form is this site's shape (else it goes to OpenBLAS).
    @inline(__always)
    func matches(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                 lda: Int, ldb: Int, beta: Float, ldc: Int) -> Bool {
        let s = shape
        return s.m == m && s.n == n && s.k == k && s.transA == transA && s.transB == transB
            && s.lda == lda && s.ldb == ldb && s.n == ldc && (s.accumulate ? beta == 1 : beta == 0) && (s.scaled || alpha == 1)
    }
}

/// The model's one GEMM entry point: a call on `site`'s shape runs on its
/// kernel; any other call (no site, or a batch smaller than the one the
/// sites were made for: an epoch's or a request's tail) runs on OpenBLAS,
/// so every shape stays correct and only the prepared ones are tuned.
@inline(__always)
func gemm(_ site: GemmSite?, transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
          a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
          c: UnsafeMutablePointer<Float>, ldc: Int) {
    if let site, site.matches(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                              lda: lda, ldb: ldb, beta: beta, ldc: ldc) {
        site.run(alpha: alpha, a: a, b: b, c: c)
    } else {
        BLAS.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                  beta: beta, c: c, ldc: ldc)
    }
}

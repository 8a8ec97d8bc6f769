import Tensors

/// DLRM's pairwise dot interaction.
///
/// Input: F feature vectors per sample, `x [B x F x D]`, feature 0 being the
/// bottom-MLP output. Output `[B x (D + F(F-1)/2)]`: feature 0 itself, then the
/// strict lower triangle of the Gram matrix `Z = X X^T`, row by row
/// (`for i in 0..<F { for j in 0..<i { Z[i][j] } }`), as the DLRM reference's
/// `interact_features` with `arch_interaction_itself = False`.
///
/// Both directions are one small GEMM per sample (the reference's `bmm`):
/// forward `Z = X X^T`, backward `dX = S X` with `S` the symmetric matrix of
/// the pair gradients. Why not hand-written loops: a sample's products are
/// short dependent chains (27 x 27 dots of 16 floats at the Kaggle shape),
/// and OpenBLAS's small-matrix kernels, chosen for the CPU at run time, keep
/// more of them in flight than portable Swift SIMD could (at the Kaggle shape
/// the interaction is about 2 % of a step this way, 7 % with hand-written
/// loops). The two scratch matrices are the reason
/// this is a class.
public final class DotInteraction {
    public let features: Int  // F
    public let dim: Int       // D
    private let gram: UnsafeMutablePointer<Float>   // [F x F] one sample's X X^T
    private let pairGrads: UnsafeMutablePointer<Float>  // [F x F] one sample's S
    /// The per-sample GEMMs' sites (nil: OpenBLAS): Z = X X^T and dX = S X.
    private let gramGemm: GemmSite?, dxGemm: GemmSite?

    public init(features: Int, dim: Int, gemm: DenseGemm? = nil) {
        self.features = features
        self.dim = dim
        gramGemm = gemm?.site(GemmShape(transB: true, m: features, n: features, k: dim), label: "interaction fwd")
        dxGemm = gemm?.site(GemmShape(m: features, n: dim, k: features), label: "interaction dx")
        gram = .allocate(capacity: max(features * features, 1))
        gram.initialize(repeating: 0, count: max(features * features, 1))
        pairGrads = .allocate(capacity: max(features * features, 1))
        pairGrads.initialize(repeating: 0, count: max(features * features, 1))
    }

    deinit {
        gram.deallocate()
        pairGrads.deallocate()
    }

    public var pairs: Int { features * (features - 1) / 2 }
    public var outputWidth: Int { dim + pairs }

    public func forward(x: UnsafePointer<Float>,           // [B x F x D]
                        out: UnsafeMutablePointer<Float>,  // [B x (D + F(F-1)/2)]
                        batch: Int) {
        let F = features, D = dim, W = outputWidth
        for b in 0..<batch {
            let xb = x + b * F * D, ob = out + b * W
            Rows.copy(ob, xb, count: D)
            gemm(gramGemm, transB: true, m: F, n: F, k: D, a: xb, lda: D, b: xb, ldb: D, beta: 0, c: gram, ldc: F)
            // Row i of the strict lower triangle is Z[i][0..<i], contiguous in both.
            var p = D
            for i in 1..<max(F, 1) {
                Rows.copy(ob + p, gram + i * F, count: i)
                p += i
            }
        }
    }

    /// dx [B x F x D] (overwritten) from dOut [B x W]: dZ_ij flows to x_i as
    /// dZ_ij x_j and to x_j as dZ_ij x_i, so dX = S X with S_ij = S_ji = dZ_ij
    /// (zero diagonal); feature 0's own gradient is added on.
    public func backward(x: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                         dx: UnsafeMutablePointer<Float>, batch: Int) {
        let F = features, D = dim, W = outputWidth, S = pairGrads
        for b in 0..<batch {
            let xb = x + b * F * D, gb = dOut + b * W, dxb = dx + b * F * D
            var p = D
            for i in 0..<F {
                for j in 0..<i {
                    let g = gb[p]
                    S[i * F + j] = g
                    S[j * F + i] = g
                    p += 1
                }
            }
            gemm(dxGemm, m: F, n: D, k: F, a: S, lda: F, b: xb, ldb: D, beta: 0, c: dxb, ldc: D)
            Rows.add(dxb, gb, count: D)
        }
    }
}

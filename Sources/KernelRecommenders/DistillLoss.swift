import Collectives
import Foundation
import Tensors

/// Distill-CF's objective and its hand-written vector-Jacobian product, over
/// the ranks of `comm` (each holds a block of the real users, the targets):
///
///     K_SS = NTK(S Sᵀ), K_TS = NTK(X Sᵀ), A = K_SS + λ·(tr K_SS/m)·I
///     α = A⁻¹ S,  P = K_TS α                          [n x items]
///     L = mean_u −Σ_i X_ui log softmax(P_u)_i  +  c · mean_j Σ_i S_ji / (interactions per user)
///
/// (the paper's `loss_fn`: a multinomial log-likelihood of the real users'
/// train rows and a cardinality penalty). Backward, in reverse:
///
///     dP = (softmax(P_u)·|X_u| − X_u)/n
///     dα = K_TSᵀ dP,  dK_TS = dP αᵀ                   (summed over ranks)
///     β = A⁻¹ dα:  dS += β,  dA = −β αᵀ,  dK_SS = dA + (λ/m) tr(dA) I
///     NTK backward: dG and d‖s‖² per entry (the diagonal K_jj = σw² q_j + σb²)
///     dS += (dG_SS + dG_SSᵀ) S + dG_TSᵀ X + 2 d‖s_j‖² s_j + c/(m · interactions per user)
public struct DistillLoss {
    public let ntk: NTK
    public let lambda: Double
    public let cardinalityReg: Double
    /// Mean train interactions per real user (scales the cardinality term).
    public let interactionsPerUser: Double
    /// Real users over all ranks (the loss is their mean).
    public let totalTargets: Int

    public init(ntk: NTK, lambda: Double, cardinalityReg: Double, interactionsPerUser: Double, totalTargets: Int) {
        self.ntk = ntk
        self.lambda = lambda
        self.cardinalityReg = cardinalityReg
        self.interactionsPerUser = interactionsPerUser
        self.totalTargets = totalTargets
    }

    /// Loss (identical on every rank) and dL/dS `[m x items]` (identical on
    /// every rank). `targets`: this rank's real users, dense `[t x items]`.
    public func evaluate(summary s: [Double], rows m: Int, targets x: [Double], targetRows t: Int,
                         comm: Communicator, gradient: Bool = true) -> (loss: Double, dS: [Double]) {
        let d = ntk.inputs
        let normsS = (0..<m).map { j in (0..<d).reduce(0.0) { $0 + s[j * d + $1] * s[j * d + $1] } }
        let normsT = (0..<t).map { u in (0..<d).reduce(0.0) { $0 + x[u * d + $1] * x[u * d + $1] } }
        // Summary side (replicated: m is small).
        var gss = [Double](repeating: 0, count: m * m)
        LAPACK.dgemm(transB: true, m: m, n: m, k: d, a: s, lda: d, b: s, ldb: d, c: &gss, ldc: m)
        var kss = gss
        for i in 0..<m {
            for j in 0..<m { kss[i * m + j] = i == j ? ntk.diagonal(norm: normsS[i]) : ntk.value(dot: gss[i * m + j], normA: normsS[i], normB: normsS[j]) }
        }
        let ridge = lambda * (0..<m).reduce(0) { $0 + kss[$1 * m + $1] } / Double(m)
        let ainv = Self.inverse(kss, m: m, ridge: ridge)
        var alpha = [Double](repeating: 0, count: m * d)
        LAPACK.dgemm(m: m, n: d, k: m, a: ainv, lda: m, b: s, ldb: d, c: &alpha, ldc: d)
        // Target side (this rank's users).
        var gts = [Double](repeating: 0, count: t * m)
        LAPACK.dgemm(transB: true, m: t, n: m, k: d, a: x, lda: d, b: s, ldb: d, c: &gts, ldc: m)
        var kts = gts
        for u in 0..<t { for j in 0..<m { kts[u * m + j] = ntk.value(dot: gts[u * m + j], normA: normsT[u], normB: normsS[j]) } }
        var p = [Double](repeating: 0, count: t * d)
        LAPACK.dgemm(m: t, n: d, k: m, a: kts, lda: m, b: alpha, ldb: d, c: &p, ldc: d)
        var localLoss = 0.0
        let n = Double(totalTargets)
        for u in 0..<t {
            let row = u * d
            var top = -Double.infinity, count = 0.0, dotXP = 0.0
            for i in 0..<d { top = max(top, p[row + i]); count += x[row + i]; dotXP += x[row + i] * p[row + i] }
            var z = 0.0
            for i in 0..<d { z += exp(p[row + i] - top) }
            let lse = top + log(z)
            localLoss += count * lse - dotXP
            // dP, in place of P.
            for i in 0..<d { p[row + i] = (exp(p[row + i] - lse) * count - x[row + i]) / n }
        }
        let cardinality = cardinalityReg * s.reduce(0, +) / Double(m) / interactionsPerUser
        guard gradient else {
            return (comm.allreduce(.kernel, localLoss) / n + cardinality, [])
        }
        // Partial sums of this rank: dα = K_TSᵀ dP, dS_T = dG_TSᵀ X, d‖s‖² from K_TS, and the loss.
        var partial = [Double](repeating: 0, count: 2 * m * d + m + 1)
        partial.withUnsafeMutableBufferPointer { buf in
            let dAlpha = buf.baseAddress!, dST = dAlpha + m * d, dNorm = dST + m * d
            LAPACK.dgemm(transA: true, m: m, n: d, k: t, a: kts, lda: m, b: p, ldb: d, c: dAlpha, ldc: d)
            var dk = [Double](repeating: 0, count: t * m)
            LAPACK.dgemm(transB: true, m: t, n: m, k: d, a: p, lda: d, b: alpha, ldb: d, c: &dk, ldc: m)
            for u in 0..<t {
                for j in 0..<m {
                    let g = ntk.backward(dot: gts[u * m + j], normA: normsT[u], normB: normsS[j])
                    dNorm[j] += dk[u * m + j] * g.dNormB
                    dk[u * m + j] *= g.dDot
                }
            }
            LAPACK.dgemm(transA: true, m: m, n: d, k: t, a: dk, lda: m, b: x, ldb: d, c: dST, ldc: d)
            dNorm[m] = localLoss
        }
        if comm.size > 1 { partial.withUnsafeMutableBufferPointer { comm.allreduce(.kernel, $0) } }
        let loss = partial[2 * m * d + m] / n + cardinality
        // Summary side backward (replicated).
        var ds = [Double](repeating: 0, count: m * d)
        var dNormS = Array(partial[(2 * m * d)..<(2 * m * d + m)])
        for i in 0..<(m * d) { ds[i] = partial[m * d + i] }
        var beta = [Double](repeating: 0, count: m * d)
        partial.withUnsafeBufferPointer { LAPACK.dgemm(m: m, n: d, k: m, a: ainv, lda: m, b: $0.baseAddress!, ldb: d, c: &beta, ldc: d) }
        for i in 0..<(m * d) { ds[i] += beta[i] }
        var dA = [Double](repeating: 0, count: m * m)
        LAPACK.dgemm(transB: true, m: m, n: m, k: d, alpha: -1, a: beta, lda: d, b: alpha, ldb: d, c: &dA, ldc: m)
        let traceTerm = lambda / Double(m) * (0..<m).reduce(0) { $0 + dA[$1 * m + $1] }
        var dG = [Double](repeating: 0, count: m * m)
        let w = ntk.sigmaW2
        for i in 0..<m {
            for j in 0..<m {
                if i == j {
                    // K_ii = σw² q_i + σb², q_i = σw² ‖s_i‖²/d + σb².
                    dNormS[i] += (dA[i * m + i] + traceTerm) * w * w / Double(d)
                    continue
                }
                let g = ntk.backward(dot: gss[i * m + j], normA: normsS[i], normB: normsS[j])
                dG[i * m + j] = dA[i * m + j] * g.dDot
                dNormS[i] += dA[i * m + j] * g.dNormA
                dNormS[j] += dA[i * m + j] * g.dNormB
            }
        }
        for i in 0..<m { for j in 0..<m where i < j { let sym = dG[i * m + j] + dG[j * m + i]; dG[i * m + j] = sym; dG[j * m + i] = sym } }
        LAPACK.dgemm(m: m, n: d, k: m, a: dG, lda: m, b: s, ldb: d, beta: 1, c: &ds, ldc: d)
        let card = cardinalityReg / Double(m) / interactionsPerUser
        for j in 0..<m { for i in 0..<d { ds[j * d + i] += 2 * dNormS[j] * s[j * d + i] + card } }
        return (loss, ds)
    }

    /// (K + ridge·I)⁻¹ by Cholesky (K is symmetric positive definite).
    static func inverse(_ k: [Double], m: Int, ridge: Double) -> [Double] {
        var a = k
        for i in 0..<m { a[i * m + i] += ridge }
        var inv = [Double](repeating: 0, count: m * m)
        for i in 0..<m { inv[i * m + i] = 1 }
        let info = a.withUnsafeMutableBufferPointer { LAPACK.cholesky(n: m, a: $0.baseAddress!) }
        precondition(info == 0, "the summary's kernel plus ridge is not positive definite (dpotrf info \(info))")
        _ = a.withUnsafeBufferPointer { f in inv.withUnsafeMutableBufferPointer { LAPACK.choleskySolve(n: m, nrhs: m, factor: f.baseAddress!, b: $0.baseAddress!) } }
        return inv
    }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Tensors

/// How a jagged sequence of embedding rows becomes one vector.
public enum SequenceEncoderKind: Sendable, Equatable {
    /// Average of the rows; an empty sequence gives zeros.
    case mean
    /// `heads` learned queries `Q [H x D]` over keys `K = rows Wk^T`; the output is
    /// the mean over heads of each head's softmax-weighted sum of rows.
    case attention(heads: Int)
    /// Target attention (sequence DLRM): the query is the candidate item's
    /// embedding `c_b`, one per sample, so outputs are per sample, not per sequence.
    case targetAttention
}

/// The inputs of one sequence feature, as the lookup delivers them.
///
/// `rows [N x D]` hold one embedding row per id of U unique sequences, sequence
/// `u` being `rows[offsets[u] ..< offsets[u+1]]`; sample `b` uses sequence
/// `inverse[b]` (the RecD/IKJT inverse indices; identity when not deduplicated).
///
///     offsets = [0, 3, 3, 5]   U = 3 (sequence 1 empty), N = 5
///     inverse = [0, 0, 2, 1]   B = 4 (samples 0 and 1 share sequence 0)
public struct SequenceBatch {
    public var rows: UnsafePointer<Float>     // [N x D]
    public var offsets: UnsafePointer<Int32>  // [U + 1]
    public var uniqueCount: Int               // U
    public var inverse: UnsafePointer<Int32>  // [B]

    public init(rows: UnsafePointer<Float>, offsets: UnsafePointer<Int32>, uniqueCount: Int,
                inverse: UnsafePointer<Int32>) {
        self.rows = rows
        self.offsets = offsets
        self.uniqueCount = uniqueCount
        self.inverse = inverse
    }

    public var rowCount: Int { Int(offsets[uniqueCount]) }  // N
}

/// Encodes each sample's sequence of embedding rows into one `[D]` vector.
///
/// `.mean` and `.attention` depend only on the sequence, so they run once per
/// UNIQUE sequence and are expanded to the batch through `inverse` (forward), and
/// the batch gradients are summed back onto the unique sequences (backward). This
/// is RecD's dedup saving, and it is exact: the same math on fewer rows.
///
/// Both attention kinds apply `Wk` to the query side instead of the keys:
/// `q·(Wk r) = (q Wk)·r`, so one `[H x D]` (or `[B x D]`) product replaces the
/// `[N x D] x [D x D]` key GEMM; the scores and gradients are identical.
///
/// Parameters (views into the model's flat buffer): `Wk [D x D]`, then, for
/// `.attention`, `Q [H x D]`. Backward zeroes `dRows` first, then accumulates into
/// it, into the parameter gradients, and (target attention) into `dQuery`.
public final class SequenceEncoder {
    public let kind: SequenceEncoderKind
    public let dim: Int       // D
    public let maxBatch: Int  // bounds B and U
    public let maxRows: Int   // bounds N
    public let params: UnsafeMutablePointer<Float>?
    public let grads: UnsafeMutablePointer<Float>?

    private let uniqueOut: FlatBuffer<Float>    // [maxBatch x D]
    private let dUnique: FlatBuffer<Float>      // [maxBatch x D]
    private let projected: FlatBuffer<Float>    // attention: Q Wk [H x D]; target: C Wk [B x D]
    private let dProjected: FlatBuffer<Float>   // same shape as projected
    private let scores: FlatBuffer<Float>       // attention: [N x H] (alpha after softmax); target: [N]
    private let dScores: FlatBuffer<Float>      // attention: [N x H]; target: [N]
    private let projectGemm: GemmSite?, queryGradGemm: GemmSite?, weightGradGemm: GemmSite?

    private var input: SequenceBatch?
    private var query: UnsafePointer<Float>?
    private var batch = 0

    public var heads: Int {
        if case .attention(let h) = kind { return h }
        return 1
    }

    public static func parameterCount(kind: SequenceEncoderKind, dim D: Int) -> Int {
        switch kind {
        case .mean: return 0
        case .attention(let h): return D * D + h * D
        case .targetAttention: return D * D
        }
    }

    /// Adds `name.wk` [D x D] and, for `.attention`, `name.query` [H x D].
    public static func addParameters(to layout: inout ParameterLayout, name: String,
                                     kind: SequenceEncoderKind, dim D: Int) {
        switch kind {
        case .mean: break
        case .attention(let h):
            layout.add("\(name).wk", shape: [D, D])
            layout.add("\(name).query", shape: [h, D])
        case .targetAttention:
            layout.add("\(name).wk", shape: [D, D])
        }
    }

    /// `gemm`: kernels for the projections' GEMMs, which have fixed shapes
    /// (target attention's at batch `gemmBatch`, default `maxBatch`); the score GEMMs run over the
    /// batch's N sequence rows, a different shape every batch, so they stay on OpenBLAS.
    public init(kind: SequenceEncoderKind, dim: Int, maxBatch: Int, maxRows: Int,
                params: UnsafeMutablePointer<Float>?, grads: UnsafeMutablePointer<Float>?,
                gemm: DenseGemm? = nil, gemmBatch: Int? = nil, label: String = "seq") {
        if case .attention(let h) = kind { precondition(h >= 1, "attention needs at least one head") }
        precondition(SequenceEncoder.parameterCount(kind: kind, dim: dim) == 0 || (params != nil && grads != nil))
        self.kind = kind
        self.dim = dim
        self.maxBatch = maxBatch
        self.maxRows = maxRows
        self.params = params
        self.grads = grads
        let H: Int
        if case .attention(let h) = kind { H = h } else { H = 1 }
        uniqueOut = FlatBuffer(count: maxBatch * dim)
        dUnique = FlatBuffer(count: maxBatch * dim)
        let projRows = kind == .targetAttention ? maxBatch : H
        projected = FlatBuffer(count: projRows * dim)
        dProjected = FlatBuffer(count: projRows * dim)
        scores = FlatBuffer(count: maxRows * H)
        dScores = FlatBuffer(count: maxRows * H)
        // P [R x D] = Q Wk, dQ [R x D] += dP Wk^T, dWk [D x D] += Q^T dP (R: B or H).
        let R = kind == .targetAttention ? gemmBatch ?? maxBatch : H, D = dim
        let projects = kind != .mean ? gemm : nil
        projectGemm = projects?.site(GemmShape(m: R, n: D, k: D), label: "\(label) fwd")
        queryGradGemm = projects?.site(GemmShape(transB: true, m: R, n: D, k: D, accumulate: true), label: "\(label) dQ")
        weightGradGemm = projects?.site(GemmShape(transA: true, m: D, n: D, k: R, accumulate: true), label: "\(label) dWk")
    }

    /// `Wk ~ N(0, sqrt(1/D))` (as `Linear` with I = O = D), `Q ~ N(0, 1)`, keyed by
    /// `(seed, stream)` and `(seed, stream + 1)` per element.
    public func initialize(seed: UInt64, stream: UInt64) {
        guard kind != .mean, let p = params else { return }
        let D = dim
        let s = Float((1.0 / Double(D)).squareRoot())
        for i in 0..<(D * D) { p[i] = s * StrataRNG.normal(seed: seed, stream: stream, index: UInt64(i)) }
        if case .attention(let h) = kind {
            for i in 0..<(h * D) { p[D * D + i] = StrataRNG.normal(seed: seed, stream: stream + 1, index: UInt64(i)) }
        }
    }

    /// Writes `out [B x D]`. `query [B x D]` is required for `.targetAttention`.
    /// The input pointers must stay valid and unchanged until `backward`.
    public func forward(_ seq: SequenceBatch, batch B: Int, query: UnsafePointer<Float>? = nil,
                        out: UnsafeMutablePointer<Float>) {
        let U = seq.uniqueCount, N = seq.rowCount, D = dim
        precondition(B <= maxBatch && U <= maxBatch, "batch or unique count exceeds maxBatch")
        precondition(N <= maxRows, "sequence rows \(N) > maxRows \(maxRows)")
        input = seq
        self.query = query
        batch = B
        switch kind {
        case .mean:
            meanForward(seq, out: uniqueOut.pointer)
            expand(seq, batch: B, out: out)
        case .attention(let H):
            attentionForward(seq, heads: H, out: uniqueOut.pointer)
            expand(seq, batch: B, out: out)
        case .targetAttention:
            guard let query else { preconditionFailure("target attention needs a query") }
            // P [B x D] = C [B x D] Wk [D x D]
            gemm(projectGemm, m: B, n: D, k: D, a: query, lda: D, b: params!, ldb: D, c: projected.pointer, ldc: D)
            for b in 0..<B {
                let u = Int(seq.inverse[b])
                let lo = Int(seq.offsets[u]), hi = Int(seq.offsets[u + 1])
                let ob = out + b * D
                ob.update(repeating: 0, count: D)
                guard hi > lo else { continue }
                let alpha = scores.pointer
                targetScores(seq, sample: b, lo: lo, hi: hi, alpha: alpha)
                for i in lo..<hi {
                    let a = alpha[i - lo], r = seq.rows + i * D
                    for d in 0..<D { ob[d] += a * r[d] }
                }
            }
        }
    }

    /// dOut [B x D] -> dRows [N x D] (zeroed here, then accumulated), parameter
    /// gradients (accumulated) and, for target attention, dQuery [B x D] (accumulated).
    public func backward(dOut: UnsafePointer<Float>, dRows: UnsafeMutablePointer<Float>,
                         dQuery: UnsafeMutablePointer<Float>? = nil) {
        guard let seq = input else { preconditionFailure("SequenceEncoder.backward before forward") }
        let U = seq.uniqueCount, N = seq.rowCount, D = dim, B = batch
        dRows.update(repeating: 0, count: N * D)
        switch kind {
        case .mean:
            reduce(seq, batch: B, dOut: dOut)
            for u in 0..<U {
                let lo = Int(seq.offsets[u]), hi = Int(seq.offsets[u + 1])
                guard hi > lo else { continue }
                let inv = 1 / Float(hi - lo), g = dUnique.pointer + u * D
                for i in lo..<hi {
                    let dr = dRows + i * D
                    for d in 0..<D { dr[d] += inv * g[d] }
                }
            }
        case .attention(let H):
            reduce(seq, batch: B, dOut: dOut)
            attentionBackward(seq, heads: H, dRows: dRows)
        case .targetAttention:
            guard let query = self.query else { preconditionFailure("target attention needs a query") }
            let scale = 1 / Float(D).squareRoot()
            let dP = dProjected.pointer
            dP.update(repeating: 0, count: B * D)
            for b in 0..<B {
                let u = Int(seq.inverse[b])
                let lo = Int(seq.offsets[u]), hi = Int(seq.offsets[u + 1])
                guard hi > lo else { continue }
                let alpha = scores.pointer, g = dScores.pointer
                targetScores(seq, sample: b, lo: lo, hi: hi, alpha: alpha)
                let gb = dOut + b * D, pb = projected.pointer + b * D, dpb = dP + b * D
                // g_i = dOut_b . row_i ; ds_i = alpha_i (g_i - sum_j alpha_j g_j)
                var gbar: Float = 0
                for i in lo..<hi {
                    let r = seq.rows + i * D
                    var s: Float = 0
                    for d in 0..<D { s += gb[d] * r[d] }
                    g[i - lo] = s
                    gbar += alpha[i - lo] * s
                }
                for i in lo..<hi {
                    let a = alpha[i - lo], ds = a * (g[i - lo] - gbar) * scale
                    let r = seq.rows + i * D, dr = dRows + i * D
                    for d in 0..<D {
                        dr[d] += a * gb[d] + ds * pb[d]
                        dpb[d] += ds * r[d]
                    }
                }
            }
            // dC [B x D] += dP [B x D] Wk^T ; dWk [D x D] += C^T [D x B] dP [B x D]
            if let dQuery {
                gemm(queryGradGemm, transB: true, m: B, n: D, k: D, a: dP, lda: D, b: params!, ldb: D,
                          beta: 1, c: dQuery, ldc: D)
            }
            gemm(weightGradGemm, transA: true, m: D, n: D, k: B, a: query, lda: D, b: dP, ldb: D, beta: 1, c: grads!, ldc: D)
        }
    }

    // MARK: Dedup expansion and its backward.

    /// out[b] = unique[inverse[b]]
    private func expand(_ seq: SequenceBatch, batch B: Int, out: UnsafeMutablePointer<Float>) {
        for b in 0..<B { Rows.copy(out + b * dim, uniqueOut.pointer + Int(seq.inverse[b]) * dim, count: dim) }
    }

    /// dUnique[u] = sum over b with inverse[b] == u of dOut[b]
    private func reduce(_ seq: SequenceBatch, batch B: Int, dOut: UnsafePointer<Float>) {
        let D = dim
        dUnique.pointer.update(repeating: 0, count: seq.uniqueCount * D)
        for b in 0..<B {
            let dst = dUnique.pointer + Int(seq.inverse[b]) * D, src = dOut + b * D
            for d in 0..<D { dst[d] += src[d] }
        }
    }

    // MARK: Kinds.

    private func meanForward(_ seq: SequenceBatch, out: UnsafeMutablePointer<Float>) {
        let D = dim
        for u in 0..<seq.uniqueCount {
            let lo = Int(seq.offsets[u]), hi = Int(seq.offsets[u + 1])
            let o = out + u * D
            o.update(repeating: 0, count: D)
            guard hi > lo else { continue }
            for i in lo..<hi {
                let r = seq.rows + i * D
                for d in 0..<D { o[d] += r[d] }
            }
            let inv = 1 / Float(hi - lo)
            for d in 0..<D { o[d] *= inv }
        }
    }

    /// alpha [N x H] = per-sequence, per-head softmax of rows P^T / sqrt(D), P = Q Wk.
    private func attentionForward(_ seq: SequenceBatch, heads H: Int, out: UnsafeMutablePointer<Float>) {
        let D = dim, N = seq.rowCount, wk = params!, q = params! + D * D
        let P = projected.pointer, S = scores.pointer
        gemm(projectGemm, m: H, n: D, k: D, a: q, lda: D, b: wk, ldb: D, c: P, ldc: D)  // P [H x D] = Q Wk
        BLAS.gemm(transB: true, m: N, n: H, k: D, alpha: 1 / Float(D).squareRoot(),
                  a: seq.rows, lda: D, b: P, ldb: D, c: S, ldc: H)                // S [N x H]
        let invH = 1 / Float(H)
        for u in 0..<seq.uniqueCount {
            let lo = Int(seq.offsets[u]), hi = Int(seq.offsets[u + 1])
            let o = out + u * D
            o.update(repeating: 0, count: D)
            guard hi > lo else { continue }
            for h in 0..<H { softmax(S + lo * H + h, count: hi - lo, stride: H) }
            for i in lo..<hi {
                var w: Float = 0
                for h in 0..<H { w += S[i * H + h] }
                w *= invH
                let r = seq.rows + i * D
                for d in 0..<D { o[d] += w * r[d] }
            }
        }
    }

    private func attentionBackward(_ seq: SequenceBatch, heads H: Int, dRows: UnsafeMutablePointer<Float>) {
        let D = dim, N = seq.rowCount, wk = params!, q = params! + D * D
        let dWk = grads!, dQ = grads! + D * D
        let A = scores.pointer, dS = dScores.pointer, P = projected.pointer, dP = dProjected.pointer
        let invH = 1 / Float(H), scale = 1 / Float(D).squareRoot()
        for u in 0..<seq.uniqueCount {
            let lo = Int(seq.offsets[u]), hi = Int(seq.offsets[u + 1])
            guard hi > lo else { continue }
            let gu = dUnique.pointer + u * D
            // g_i = dOut_u . row_i / H, the same for every head.
            for i in lo..<hi {
                let r = seq.rows + i * D, dr = dRows + i * D
                var g: Float = 0, w: Float = 0
                for d in 0..<D { g += gu[d] * r[d] }
                g *= invH
                for h in 0..<H { dS[i * H + h] = g; w += A[i * H + h] }
                w *= invH
                for d in 0..<D { dr[d] += w * gu[d] }
            }
            for h in 0..<H {
                var gbar: Float = 0
                for i in lo..<hi { gbar += A[i * H + h] * dS[i * H + h] }
                for i in lo..<hi { dS[i * H + h] = A[i * H + h] * (dS[i * H + h] - gbar) }
            }
        }
        // dP [H x D] = dS^T rows / sqrt(D) ; dRows += dS P / sqrt(D)
        BLAS.gemm(transA: true, m: H, n: D, k: N, alpha: scale, a: dS, lda: H, b: seq.rows, ldb: D, c: dP, ldc: D)
        BLAS.gemm(m: N, n: D, k: H, alpha: scale, a: dS, lda: H, b: P, ldb: D, beta: 1, c: dRows, ldc: D)
        // dQ [H x D] += dP Wk^T ; dWk [D x D] += Q^T dP
        gemm(queryGradGemm, transB: true, m: H, n: D, k: D, a: dP, lda: D, b: wk, ldb: D, beta: 1, c: dQ, ldc: D)
        gemm(weightGradGemm, transA: true, m: D, n: D, k: H, a: q, lda: D, b: dP, ldb: D, beta: 1, c: dWk, ldc: D)
    }

    /// alpha [hi - lo] = softmax over the sequence of (c_b Wk) . row_i / sqrt(D).
    private func targetScores(_ seq: SequenceBatch, sample b: Int, lo: Int, hi: Int,
                              alpha: UnsafeMutablePointer<Float>) {
        let D = dim, pb = projected.pointer + b * D, scale = 1 / Float(D).squareRoot()
        for i in lo..<hi {
            let r = seq.rows + i * D
            var s: Float = 0
            for d in 0..<D { s += pb[d] * r[d] }
            alpha[i - lo] = s * scale
        }
        softmax(alpha, count: hi - lo, stride: 1)
    }
}

/// In-place, max-subtracted softmax over `count` strided floats.
@inline(__always)
func softmax(_ x: UnsafeMutablePointer<Float>, count: Int, stride: Int) {
    var m = -Float.infinity
    for i in 0..<count { m = max(m, x[i * stride]) }
    var z: Float = 0
    for i in 0..<count {
        let e = expf(x[i * stride] - m)
        x[i * stride] = e
        z += e
    }
    let inv = 1 / z
    for i in 0..<count { x[i * stride] *= inv }
}

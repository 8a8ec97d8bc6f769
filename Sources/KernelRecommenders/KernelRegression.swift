import Collectives
import Foundation
import Tensors

/// How the regularised kernel system is solved for each λ.
public enum KernelSolver: String, Sendable, CaseIterable, Codable {
    /// One symmetric eigendecomposition K = V E Vᵀ (LAPACK dsyevd), reused for
    /// every λ: (K + λ'I)⁻¹ = V (E + λ'I)⁻¹ Vᵀ, so a new λ costs one GEMM.
    case eigen
    /// A Cholesky factorisation of K + λ'I per λ (dpotrf + dpotrs).
    case cholesky
}

/// Seconds spent in each phase of a fit, on this rank.
public struct KernelTimings: Sendable, Codable, Equatable {
    public var exchange = 0.0
    public var gram = 0.0
    public var factor = 0.0
    public var project = 0.0
}

/// Kernel ridge regression with the ∞-AE kernel, over the ranks of `comm`:
///
///     P = K(C, F) (K(F, F) + λ · tr K(F,F)/m · I)⁻¹ F
///
/// F (m fit rows, users x items) arrives as one block of rows per rank and is
/// exchanged (allgatherv of the sparse rows) so that each rank forms the Gram
/// rows of its own block by block GEMMs (`GramBlocks`), maps them through the
/// NTK, and the rows are gathered. Rank 0 factorises (the kernel is m x m,
/// small beside the data) and broadcasts; each rank then predicts its own
/// context rows, a block at a time. Every exchange goes through the ledger
/// under `.kernel`.
public final class KernelRegression {
    public let fit: SparseRows
    public let ntk: NTK
    public let solver: KernelSolver
    public let comm: Communicator
    /// K(F, F), `[m x m]`, identical on every rank.
    public private(set) var kernel: [Double]
    public let fitNorms: [Double]
    public let meanDiagonal: Double
    /// Eigen path: eigenvalues ascending, eigenvectors as rows (`vt[k*m + i]` = V[i, k]) and Vᵀ F `[m x items]`.
    public private(set) var eigenvalues: [Double] = []
    private(set) var vt: [Double] = []
    private(set) var projected: [Double] = []
    public private(set) var timings = KernelTimings()
    let blocks: GramBlocks

    public var m: Int { fit.rows }
    public var items: Int { fit.columns }

    /// The rows this rank owns in a balanced split of `count` rows.
    public static func block(of count: Int, rank: Int, size: Int) -> Range<Int> {
        (count * rank / size)..<(count * (rank + 1) / size)
    }

    /// Bytes the largest rank holds: the kernel, the factorisation (eigen:
    /// eigenvectors, dsyevd's workspace of 1 + 6m + 2m² doubles on rank 0 and
    /// Vᵀ F; Cholesky: the factor), two coefficient arrays for the context rows
    /// and the dense blocks of the Gram and prediction.
    public static func bytesNeeded(fitRows m: Int, items: Int, contextRowsPerRank c: Int, solver: KernelSolver, blockRows: Int) -> Int {
        let factor = solver == .eigen ? m * m + (1 + 6 * m + 2 * m * m) + m * items : m * m
        return 8 * (m * m + factor + 2 * c * m + 3 * blockRows * items)
    }

    public init(localFit: SparseRows, comm: Communicator, ntk: NTK, solver: KernelSolver,
                contextRowsPerRank: Int, memoryBudgetBytes: Int?, blockRows: Int = 256) throws {
        self.comm = comm
        self.ntk = ntk
        self.solver = solver
        let blocks = GramBlocks(blockRows: blockRows)
        self.blocks = blocks
        var t0 = monotonicSeconds()
        let fit = Self.allgather(localFit, comm: comm)
        self.fit = fit
        let exchange = monotonicSeconds() - t0
        let m = fit.rows
        if let budget = memoryBudgetBytes {
            let need = Self.bytesNeeded(fitRows: m, items: fit.columns, contextRowsPerRank: contextRowsPerRank,
                                        solver: solver, blockRows: blockRows)
            if need > budget {
                throw InputError("memory_budget_mib: the kernel of \(m) users needs \(need >> 20) MiB on one rank "
                    + "(\(solver.rawValue) factorisation), over the budget of \(budget >> 20) MiB; no grid of these ranks "
                    + "holds it (the ScaLAPACK block-cyclic path is not built): fit on fewer users or raise the budget")
            }
        }
        let norms = fit.squaredNorms
        fitNorms = norms
        // Gram rows of this rank's block, NTK-mapped, then every rank's rows.
        t0 = monotonicSeconds()
        let mine = Self.block(of: m, rank: comm.rank, size: comm.size)
        var rows = [Double](repeating: 0, count: mine.count * m)
        rows.withUnsafeMutableBufferPointer { out in
            blocks.gram(fit, rows: mine, fit, rows: 0..<m, into: out.baseAddress!, ldOut: m)
            norms.withUnsafeBufferPointer { n in
                ntk.map(out.baseAddress!, rows: mine.count, cols: m, ld: m,
                        normsA: n.baseAddress! + mine.lowerBound, normsB: n.baseAddress!, diagonalAt: mine.lowerBound)
            }
        }
        let k = comm.allgatherv(.kernel, rows)
        kernel = k
        meanDiagonal = (0..<m).reduce(0) { $0 + k[$1 * m + $1] } / Double(max(m, 1))
        timings.exchange = exchange
        timings.gram = monotonicSeconds() - t0
        if solver == .eigen { try factorEigen(mine: mine) }
    }

    /// Rank 0 decomposes, every rank receives Vᵀ and E; Vᵀ F is summed from
    /// each rank's own fit rows.
    private func factorEigen(mine: Range<Int>) throws {
        let m = self.m
        var t0 = monotonicSeconds()
        var v = [Double](repeating: 0, count: m * m)
        var e = [Double](repeating: 0, count: m)
        var info = [Int64(0)]
        if comm.rank == 0 {
            v = kernel
            info[0] = Int64(v.withUnsafeMutableBufferPointer { a in
                e.withUnsafeMutableBufferPointer { LAPACK.symmetricEigen(n: m, a: a.baseAddress!, w: $0.baseAddress!) }
            })
        }
        info.withUnsafeMutableBufferPointer { comm.broadcast(.kernel, $0, root: 0) }
        guard info[0] == 0 else { throw InputError("the kernel's eigendecomposition failed (dsyevd info \(info[0]))") }
        v.withUnsafeMutableBufferPointer { comm.broadcast(.kernel, $0, root: 0) }
        e.withUnsafeMutableBufferPointer { comm.broadcast(.kernel, $0, root: 0) }
        vt = v
        eigenvalues = e
        timings.factor = monotonicSeconds() - t0
        t0 = monotonicSeconds()
        // Vᵀ F = Σ over ranks of Vᵀ[:, mine] F[mine].
        var p = [Double](repeating: 0, count: m * items)
        let local = fit.slice(mine)
        vt.withUnsafeBufferPointer { vtp in
            p.withUnsafeMutableBufferPointer {
                blocks.multiply(vtp.baseAddress! + mine.lowerBound, rows: m, ldCoefficients: m, local, into: $0.baseAddress!)
            }
        }
        if comm.size > 1 { p.withUnsafeMutableBufferPointer { comm.allreduce(.kernel, $0) } }
        projected = p
        timings.project = monotonicSeconds() - t0
    }

    /// The regulariser added to the diagonal: λ times the mean diagonal.
    public func ridge(_ lambda: Double) -> Double { abs(lambda) * meanDiagonal }

    /// K(C, F) for context rows `[c x m]`; `sameAsFit` when the context rows
    /// are the fit rows `sameAsFit` (their kernel rows are already here).
    public func contextKernel(_ context: SparseRows, sameAsFit: Range<Int>? = nil) -> [Double] {
        let m = self.m
        if let r = sameAsFit { return Array(kernel[(r.lowerBound * m)..<(r.upperBound * m)]) }
        var out = [Double](repeating: 0, count: context.rows * m)
        let norms = context.squaredNorms
        out.withUnsafeMutableBufferPointer { o in
            blocks.gram(context, rows: 0..<context.rows, fit, rows: 0..<m, into: o.baseAddress!, ldOut: m)
            norms.withUnsafeBufferPointer { na in
                fitNorms.withUnsafeBufferPointer { nb in
                    ntk.map(o.baseAddress!, rows: context.rows, cols: m, ld: m, normsA: na.baseAddress!, normsB: nb.baseAddress!)
                }
            }
        }
        return out
    }

    /// Prepared context: eigen path K(C,F) V (`[c x m]`), Cholesky path K(C,F).
    public struct Context {
        public let rows: Int
        let basis: [Double]
    }

    public func prepare(_ context: SparseRows, sameAsFit: Range<Int>? = nil) -> Context {
        let m = self.m
        switch solver {
        case .cholesky:
            return Context(rows: context.rows, basis: contextKernel(context, sameAsFit: sameAsFit))
        case .eigen:
            var kv = [Double](repeating: 0, count: context.rows * m)
            if let r = sameAsFit {
                // K V = V E: the context rows of V scaled by the eigenvalues, no GEMM.
                for (i, u) in r.enumerated() { for k in 0..<m { kv[i * m + k] = vt[k * m + u] * eigenvalues[k] } }
            } else {
                let kc = contextKernel(context)
                kc.withUnsafeBufferPointer { a in
                    vt.withUnsafeBufferPointer { b in
                        kv.withUnsafeMutableBufferPointer {
                            LAPACK.dgemm(transB: true, m: context.rows, n: m, k: m, a: a.baseAddress!, lda: m,
                                         b: b.baseAddress!, ldb: m, c: $0.baseAddress!, ldc: m)
                        }
                    }
                }
            }
            return Context(rows: context.rows, basis: kv)
        }
    }

    /// Dual coefficients of the context rows for one λ, `[c x m]`, such that
    /// `predict` turns them into scores. Collective on the Cholesky path (rank 0
    /// factorises K + λ'I and broadcasts the factor).
    public func coefficients(_ context: Context, lambda: Double) throws -> [Double] {
        let m = self.m, ridge = ridge(lambda)
        switch solver {
        case .eigen:
            var w = context.basis
            let scale = eigenvalues.map { 1 / max($0 + ridge, Double.leastNormalMagnitude) }
            for i in 0..<context.rows { for k in 0..<m { w[i * m + k] *= scale[k] } }
            return w
        case .cholesky:
            var factor = [Double](repeating: 0, count: m * m)
            var info = [Int64(0)]
            let t0 = monotonicSeconds()
            if comm.rank == 0 {
                factor = kernel
                for i in 0..<m { factor[i * m + i] += ridge }
                info[0] = Int64(factor.withUnsafeMutableBufferPointer { LAPACK.cholesky(n: m, a: $0.baseAddress!) })
            }
            info.withUnsafeMutableBufferPointer { comm.broadcast(.kernel, $0, root: 0) }
            guard info[0] == 0 else {
                throw InputError("lambda \(lambda): K + λ'I is not positive definite in double precision (dpotrf info \(info[0])); use solver eigen or a larger lambda")
            }
            factor.withUnsafeMutableBufferPointer { comm.broadcast(.kernel, $0, root: 0) }
            // (K + λ'I) Z = K(C,F)ᵀ: K(C,F)'s rows are the right-hand sides.
            var z = context.basis
            _ = factor.withUnsafeBufferPointer { f in
                z.withUnsafeMutableBufferPointer { LAPACK.choleskySolve(n: m, nrhs: context.rows, factor: f.baseAddress!, b: $0.baseAddress!) }
            }
            timings.factor += monotonicSeconds() - t0
            return z
        }
    }

    /// Scores `[rows.count x items]` of context rows `rows` from their coefficients.
    public func predict(_ coefficients: [Double], rows: Range<Int>, into out: UnsafeMutablePointer<Double>) {
        let m = self.m
        coefficients.withUnsafeBufferPointer { c in
            let a = c.baseAddress! + rows.lowerBound * m
            switch solver {
            case .eigen:
                projected.withUnsafeBufferPointer { p in
                    LAPACK.dgemm(m: rows.count, n: items, k: m, a: a, lda: m, b: p.baseAddress!, ldb: items, c: out, ldc: items)
                }
            case .cholesky:
                blocks.multiply(a, rows: rows.count, ldCoefficients: m, fit, into: out)
            }
        }
    }

    /// Every rank's block of rows, in rank order (the sparse rows cross once).
    static func allgather(_ local: SparseRows, comm: Communicator) -> SparseRows {
        guard comm.size > 1 else { return local }
        let counts = (0..<local.rows).map { Int64(local.count($0)) }
        let allCounts = comm.allgatherv(.kernel, counts)
        let allIndices = comm.allgatherv(.kernel, local.indices)
        let binary = comm.allreduce(.kernel, Int64(local.values == nil ? 0 : 1), op: .max) == 0
        var offsets = [0]
        offsets.reserveCapacity(allCounts.count + 1)
        for c in allCounts { offsets.append(offsets.last! + Int(c)) }
        let values: [Double]? = binary ? nil
            : comm.allgatherv(.kernel, local.values ?? [Double](repeating: 1, count: local.nonZeros))
        return SparseRows(columns: local.columns, offsets: offsets, indices: allIndices, values: values)
    }
}

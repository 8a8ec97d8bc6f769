import Collectives
import Foundation
import ScaLAPACK
import Tensors

/// How the regularised kernel system is solved for each λ.
public enum KernelSolver: String, Sendable, CaseIterable, Codable {
    /// One symmetric eigendecomposition K = V E Vᵀ (LAPACK dsyevd), reused for
    /// every λ: (K + λ'I)⁻¹ = V (E + λ'I)⁻¹ Vᵀ, so a new λ costs one GEMM.
    case eigen
    /// A Cholesky factorisation of K + λ'I per λ (dpotrf), then one solve
    /// (K + λ'I)⁻¹ F with the items as right-hand sides (dpotrs).
    case cholesky

    /// The cheaper path for `lambdas` values of λ on an m-user fit over
    /// `items` items, by floating-point operations:
    ///
    /// - Cholesky: per λ, m³/3 (dpotrf) + 2m²·items (the solve for F);
    /// - eigen: once ~10m³/3 (dsyevd with vectors, counting its slower
    ///   tridiagonal reduction) + 2m²·items (Vᵀ F), then per λ 2m²·items
    ///   (the product V diag Vᵀ F).
    ///
    /// The per-λ products cancel, so Cholesky wins while λ-count · m³/3 stays
    /// under 10m³/3 + 2m²·items (ML-1M: 6 λ · 73 GFLOP against 1 TFLOP).
    public static func cheaper(fitRows m: Int, items: Int, lambdas: Int) -> KernelSolver {
        let n = Double(m), d = Double(items), l = Double(lambdas)
        let cholesky = l * (n * n * n / 3 + 2 * n * n * d)
        let eigen = 10 * n * n * n / 3 + 2 * n * n * d + l * 2 * n * n * d
        return cholesky <= eigen ? .cholesky : .eigen
    }
}

/// One phase of a fit on this rank: its seconds and the floating-point
/// operations this rank's share of it stands for (dense counts: a ScaLAPACK
/// call counts 1/P of the whole), so the two give GFLOP/s.
public struct PhaseCost: Sendable, Codable, Equatable {
    public var seconds = 0.0
    public var flops = 0.0

    /// GFLOP/s; 0 when no time was spent.
    public var gflops: Double { seconds > 0 ? flops / seconds / 1e9 : 0 }
}

/// Each phase of a fit, on this rank.
public struct KernelTimings: Sendable, Codable, Equatable {
    /// Seconds moving rows (no operations counted).
    public var exchange = 0.0
    /// K(F, F) and, later, each context's K(C, F).
    public var gram = PhaseCost()
    public var factor = PhaseCost()
    /// Cholesky: the solves (K + λ'I)⁻¹ F and the test's K(C,F) W product.
    public var solve = PhaseCost()
    public var project = PhaseCost()
}

/// Kernel ridge regression with the ∞-AE kernel, over the ranks of `comm`:
///
///     P = K(C, F) (K(F, F) + λ · tr K(F,F)/m · I)⁻¹ F
///
/// F (m fit rows, users x items) arrives as one block of rows per rank and is
/// exchanged (allgatherv of the sparse rows) so that each rank forms the Gram
/// rows of its own block by block GEMMs (`GramBlocks`), maps them through the
/// NTK. On the replicated engine the rows are gathered and rank 0 factorises
/// (the kernel is m x m, small beside the data) and broadcasts; on the
/// ScaLAPACK engine the rows move to a block-cyclic 2-D grid and ScaLAPACK
/// factorises there (`DistributedKernel`), so no rank holds the m x m kernel
/// and every rank shares the factorisation and the solves.
/// Each rank then predicts its own context rows, a block at a time. Every
/// exchange goes through the ledger under `.kernel`.
///
/// The Cholesky path never solves for a context's kernel rows: it solves
/// W = (K + λ'I)⁻¹ F once per λ (items right-hand sides, fewer than the
/// users), and scores a context as K(C,F) W; on the fit's own rows as
/// F - λ'W, since K (K + λ'I)⁻¹ = I - λ'(K + λ'I)⁻¹, which needs no product.
public final class KernelRegression {
    public let fit: SparseRows
    public let ntk: NTK
    public let solver: KernelSolver
    public let comm: Communicator
    /// Rows `kernelRows` of K(F, F), `[kernelRows.count x m]`: every row
    /// (identical on every rank) on the replicated engine, this rank's own
    /// rows on the ScaLAPACK engine.
    public private(set) var kernel: [Double]
    public let kernelRows: Range<Int>
    public let engine: KernelEngine
    let distributed: DistributedKernel?
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

    /// The rows this rank owns of `count` rows: ceil(count / size) a rank,
    /// ScaLAPACK's 1 x P block layout, so both engines split users alike.
    public static func block(of count: Int, rank: Int, size: Int) -> Range<Int> {
        ScaLAPACKEngine.columnBlock(count, rank: rank, ranks: size)
    }

    /// Bytes the largest rank holds: the kernel, the factorisation (eigen:
    /// eigenvectors, dsyevd's workspace of 1 + 6m + 2m² doubles on rank 0 and
    /// Vᵀ F; Cholesky: the factor, Fᵀ, a λ's W and the best λ's, and a
    /// context's scores), two coefficient arrays for the context rows and the
    /// dense blocks of the Gram and prediction.
    public static func bytesNeeded(fitRows m: Int, items: Int, contextRowsPerRank c: Int, solver: KernelSolver, blockRows: Int) -> Int {
        let factor = solver == .eigen ? m * m + (1 + 6 * m + 2 * m * m) + m * items : m * m + 3 * m * items + c * items
        return 8 * (m * m + factor + 2 * c * m + 3 * blockRows * items)
    }

    /// `engine` nil chooses: on several MPI ranks ScaLAPACK (every rank shares
    /// the factorisation), else replicated; with `memoryBudgetBytes`, the
    /// other engine when the preferred one does not fit; over the budget on
    /// both, an error.
    public init(localFit: SparseRows, comm: Communicator, ntk: NTK, solver: KernelSolver,
                contextRowsPerRank: Int, memoryBudgetBytes: Int?, blockRows: Int = 256,
                engine requested: KernelEngine? = nil, gridBlock: Int = 64) throws {
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
        let engine = try Self.choose(requested, fitRows: m, items: fit.columns, contextRowsPerRank: contextRowsPerRank,
                                     ranks: comm.size, gridAvailable: ScaLAPACKEngine.available(on: comm), solver: solver, blockRows: blockRows, gridBlock: gridBlock,
                                     budget: memoryBudgetBytes)
        self.engine = engine
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
        timings.exchange = exchange
        timings.gram.flops = 2 * Double(mine.count) * Double(m) * Double(fit.columns)
        switch engine {
        case .replicated:
            let k = comm.allgatherv(.kernel, rows)
            kernel = k
            meanDiagonal = (0..<m).reduce(0) { $0 + k[$1 * m + $1] } / Double(max(m, 1))
            kernelRows = 0..<m
            distributed = nil
            timings.gram.seconds = monotonicSeconds() - t0
            if solver == .eigen { try factorEigen(mine: mine) }
        case .scalapack:
            let ownDiagonal = mine.enumerated().reduce(0.0) { $0 + rows[$1.offset * m + $1.element] }
            meanDiagonal = comm.allreduce(.kernel, ownDiagonal) / Double(max(m, 1))
            kernel = rows
            kernelRows = mine
            timings.gram.seconds = monotonicSeconds() - t0
            t0 = monotonicSeconds()
            let d = try DistributedKernel(rows: rows, m: m, solver: solver, fit: fit, comm: comm, block: gridBlock)
            distributed = d
            if solver == .cholesky { timings.exchange += monotonicSeconds() - t0 }  // K and F to the grid
            if solver == .eigen {
                timings.factor.seconds = monotonicSeconds() - t0
                timings.factor.flops = 10 * pow(Double(m), 3) / 3 / Double(comm.size)
                eigenvalues = d.eigenvalues
                // V's rows of this rank, read row-major, are Vᵀ's columns `[m x rows]`.
                d.ownVectorRows.withUnsafeBufferPointer { project($0.baseAddress, ld: mine.count, mine: mine) }
            }
        }
    }

    /// The engine for `requested` (nil: the replicated one when it fits the
    /// budget, else ScaLAPACK), or an error naming both needs.
    /// `gridAvailable`: the ranks are MPI processes (threads cannot host BLACS).
    public static func choose(_ requested: KernelEngine?, fitRows m: Int, items: Int, contextRowsPerRank c: Int, ranks: Int,
                              gridAvailable: Bool = true, solver: KernelSolver, blockRows: Int, gridBlock: Int,
                              budget: Int?) throws -> KernelEngine {
        let replicated = bytesNeeded(fitRows: m, items: items, contextRowsPerRank: c, solver: solver, blockRows: blockRows)
        let grid = ScaLAPACKEngine.gridShape(ranks: ranks)
        let distributed = DistributedKernel.bytesNeeded(fitRows: m, items: items, contextRows: c * ranks, ranks: ranks,
                                                        solver: solver, block: gridBlock, blockRows: blockRows)
        // Several ranks share the factorisation only on the grid.
        let preferred: [KernelEngine] = ranks > 1 && gridAvailable ? [.scalapack, .replicated] : [.replicated, .scalapack]
        guard let budget else { return requested ?? preferred[0] }
        let fits: (KernelEngine) -> Bool = { $0 == .replicated ? replicated <= budget : distributed <= budget }
        if let requested, fits(requested) { return requested }
        if requested == nil, let e = preferred.first(where: fits) { return e }
        let needs = "the kernel of \(m) users (\(solver.rawValue) factorisation) needs \(replicated >> 20) MiB on one rank "
            + "replicated, and \(distributed >> 20) MiB a rank on ScaLAPACK's \(grid.rows) x \(grid.cols) grid of these \(ranks) ranks"
        throw InputError("memory_budget_mib: \(needs), over the budget of \(budget >> 20) MiB on "
            + (requested.map { "the \($0.rawValue) engine" } ?? "any grid") + ": fit on fewer users, add ranks or raise the budget")
    }

    /// Rank 0 decomposes, every rank receives Vᵀ and E; Vᵀ F is summed from
    /// each rank's own fit rows.
    private func factorEigen(mine: Range<Int>) throws {
        let m = self.m
        let t0 = monotonicSeconds()
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
        timings.factor.seconds = monotonicSeconds() - t0
        timings.factor.flops = 10 * pow(Double(m), 3) / 3
        vt.withUnsafeBufferPointer { project($0.baseAddress! + mine.lowerBound, ld: m, mine: mine) }
    }

    /// Vᵀ F = Σ over ranks of Vᵀ[:, mine] F[mine]; `vtColumns` points at
    /// Vᵀ[0, mine.lowerBound] with leading dimension `ld` (collective).
    private func project(_ vtColumns: UnsafePointer<Double>?, ld: Int, mine: Range<Int>) {
        let t0 = monotonicSeconds()
        var p = [Double](repeating: 0, count: m * items)
        if let vtColumns, !mine.isEmpty {
            p.withUnsafeMutableBufferPointer {
                blocks.multiply(vtColumns, rows: m, ldCoefficients: ld, fit.slice(mine), into: $0.baseAddress!)
            }
        }
        if comm.size > 1 { p.withUnsafeMutableBufferPointer { comm.allreduce(.kernel, $0) } }
        projected = p
        timings.project.seconds = monotonicSeconds() - t0
        timings.project.flops = 2 * Double(m) * Double(mine.count) * Double(items)
    }

    /// "replicated", or "scalapack R x C grid, block B".
    public var engineDescription: String {
        guard let d = distributed?.engine else { return engine.rawValue }
        return "scalapack \(d.gridRows) x \(d.gridCols) grid, block \(d.block)"
    }

    /// The regulariser added to the diagonal: λ times the mean diagonal.
    public func ridge(_ lambda: Double) -> Double { abs(lambda) * meanDiagonal }

    /// K(C, F) for context rows `[c x m]`; `sameAsFit` when the context rows
    /// are the fit rows `sameAsFit` (their kernel rows are already here).
    public func contextKernel(_ context: SparseRows, sameAsFit: Range<Int>? = nil) -> [Double] {
        let m = self.m
        if let r = sameAsFit, r.lowerBound >= kernelRows.lowerBound, r.upperBound <= kernelRows.upperBound {
            let first = r.lowerBound - kernelRows.lowerBound
            return Array(kernel[(first * m)..<((first + r.count) * m)])
        }
        let t0 = monotonicSeconds()
        defer {
            timings.gram.seconds += monotonicSeconds() - t0
            timings.gram.flops += 2 * Double(context.rows) * Double(m) * Double(items)
        }
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

    /// Prepared context: eigen path K(C,F) V (`[c x m]`); Cholesky path
    /// K(C,F) (replicated) or K(F,C) on the grid (ScaLAPACK), or, for the
    /// fit's own rows, just those rows (their scores are F - λ'W).
    public struct Context {
        public let rows: Int
        let basis: [Double]
        var grid: DistributedMatrix?
        var count = 0
        /// Cholesky: the context is the fit's rows `ownRows`; `sparse` are they.
        var ownRows: Range<Int>?
        var sparse: SparseRows?
    }

    /// One λ's fitted state for one context, what `predict` reads. Eigen: the
    /// dual coefficients `[c x m]`. Cholesky: the context's scores (or, on the
    /// fit's own rows, W's rows), read strided as
    /// `scale · values[offset + i·rowStride + j·colStride]`, plus the
    /// context's own entries when `plus` is set; and the solution W, kept so
    /// that another context at the same λ needs no new factorisation.
    public struct Coefficients {
        public let lambda: Double
        var dual: [Double] = []
        var values: [Double] = []
        var offset = 0, rowStride = 0, colStride = 0
        var scale = 1.0
        var plus: SparseRows?
        /// Replicated: Wᵀ `[items x m]` row-major; ScaLAPACK: W on the grid.
        var solution: [Double]?
        var gridSolution: DistributedMatrix?
    }

    /// Collective on the ScaLAPACK engine, where each rank passes its block
    /// (`block(of:)`) of the context rows, except for the fit's own rows
    /// (`sameAsFit` = `kernelRows` on every rank), which need no exchange.
    public func prepare(_ context: SparseRows, sameAsFit: Range<Int>? = nil) throws -> Context {
        let m = self.m
        if let distributed {
            // Every rank takes the same branch (the exchange below is collective).
            let own = sameAsFit == kernelRows
            if comm.allreduce(.kernel, Int64(own ? 1 : 0), op: .min) == 1 {
                if solver == .cholesky { return Context(rows: context.rows, basis: [], ownRows: kernelRows, sparse: context) }
                // K V = V E on this rank's own rows of V (column-major, ld = its row count).
                let rowsOfV = distributed.ownVectorRows, c = kernelRows.count
                var kv = [Double](repeating: 0, count: c * m)
                for i in 0..<c { for k in 0..<m { kv[i * m + k] = rowsOfV[k * c + i] * eigenvalues[k] } }
                return Context(rows: c, basis: kv)
            }
            let count = Int(comm.allreduce(.kernel, Int64(context.rows)))
            let misplaced = Self.block(of: count, rank: comm.rank, size: comm.size).count != context.rows
            guard comm.allreduce(.kernel, Int64(misplaced ? 1 : 0), op: .max) == 0 else {
                throw InputError("the ScaLAPACK engine needs each rank's block (ceil(\(count) / \(comm.size)) rows) of the context rows"
                    + (misplaced ? "; rank \(comm.rank) has \(context.rows)" : ""))
            }
            let rows = contextKernel(context, sameAsFit: sameAsFit)
            switch solver {
            case .eigen: return Context(rows: context.rows, basis: try distributed.projectContext(rows, count: count))
            case .cholesky: return Context(rows: context.rows, basis: [], grid: try distributed.contextOnGrid(rows, count: count), count: count)
            }
        }
        switch solver {
        case .cholesky:
            if let r = sameAsFit { return Context(rows: context.rows, basis: [], ownRows: r, sparse: context) }
            return Context(rows: context.rows, basis: contextKernel(context))
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

    /// One λ's coefficients for `context`, which `predict` turns into scores.
    /// Collective on the Cholesky path. `reuse`: coefficients of another
    /// context at the same λ, whose solution W is taken instead of a new
    /// factorisation and solve.
    public func coefficients(_ context: Context, lambda: Double, reuse: Coefficients? = nil) throws -> Coefficients {
        let m = self.m, ridge = ridge(lambda)
        switch solver {
        case .eigen:
            var w = context.basis
            let scale = eigenvalues.map { 1 / max($0 + ridge, Double.leastNormalMagnitude) }
            for i in 0..<context.rows { for k in 0..<m { w[i * m + k] *= scale[k] } }
            return Coefficients(lambda: lambda, dual: w)
        case .cholesky:
            var out = Coefficients(lambda: lambda)
            let shared = reuse?.lambda == lambda ? reuse : nil
            if let distributed {
                let w = try shared?.gridSolution ?? distributed.solveFit(ridge: ridge, lambda: lambda, timings: &timings)
                out.gridSolution = w
                if let own = context.ownRows {
                    // This rank's rows of W, column-major (ld = its row count): F - λ'W on them.
                    let rows = try distributed.ownRows(of: w)
                    out.values = rows.local
                    (out.offset, out.rowStride, out.colStride) = (0, 1, rows.leadingDimension)
                    (out.scale, out.plus) = (-ridge, context.sparse)
                    precondition(own.count == context.rows)
                } else if let grid = context.grid {
                    let t0 = monotonicSeconds()
                    let scores = try distributed.scores(grid, w, count: context.count)
                    timings.solve.seconds += monotonicSeconds() - t0
                    timings.solve.flops += 2 * Double(context.count) * Double(m) * Double(items) / Double(comm.size)
                    out.values = scores.local
                    (out.offset, out.rowStride, out.colStride) = (0, 1, scores.leadingDimension)
                }
                return out
            }
            let wt = try shared?.solution ?? solveReplicated(ridge: ridge, lambda: lambda)
            out.solution = wt
            if let own = context.ownRows {
                // Wᵀ is [items x m] row-major: W[u, j] at j·m + u.
                out.values = wt
                (out.offset, out.rowStride, out.colStride) = (own.lowerBound, 1, m)
                (out.scale, out.plus) = (-ridge, context.sparse)
            } else {
                // K(C,F) W = K(C,F) (Wᵀ)ᵀ, [c x items] row-major.
                let t0 = monotonicSeconds()
                var scores = [Double](repeating: 0, count: context.rows * items)
                context.basis.withUnsafeBufferPointer { a in
                    wt.withUnsafeBufferPointer { b in
                        scores.withUnsafeMutableBufferPointer {
                            LAPACK.dgemm(transB: true, m: context.rows, n: items, k: m, a: a.baseAddress!, lda: m,
                                         b: b.baseAddress!, ldb: m, c: $0.baseAddress!, ldc: items)
                        }
                    }
                }
                timings.solve.seconds += monotonicSeconds() - t0
                timings.solve.flops += 2 * Double(context.rows) * Double(m) * Double(items)
                out.values = scores
                (out.offset, out.rowStride, out.colStride) = (0, items, 1)
            }
            return out
        }
    }

    /// Wᵀ = ((K + λ'I)⁻¹ F)ᵀ, `[items x m]` row-major: rank 0 factorises and
    /// broadcasts the factor, every rank solves (one rank in practice: on
    /// several, `auto` takes the ScaLAPACK engine).
    private func solveReplicated(ridge: Double, lambda: Double) throws -> [Double] {
        let m = self.m
        var t0 = monotonicSeconds()
        var factor = [Double](repeating: 0, count: comm.rank == 0 ? m * m : 0)
        var info = [Int64(0)]
        if comm.rank == 0 {
            factor = kernel
            for i in 0..<m { factor[i * m + i] += ridge }
            info[0] = Int64(factor.withUnsafeMutableBufferPointer { LAPACK.cholesky(n: m, a: $0.baseAddress!) })
        }
        if comm.size > 1 { info.withUnsafeMutableBufferPointer { comm.broadcast(.kernel, $0, root: 0) } }
        guard info[0] == 0 else {
            throw InputError("lambda \(lambda): K + λ'I is not positive definite in double precision (dpotrf info \(info[0])); use solver eigen or a larger lambda")
        }
        if comm.size > 1 {
            if comm.rank != 0 { factor = [Double](repeating: 0, count: m * m) }
            factor.withUnsafeMutableBufferPointer { comm.broadcast(.kernel, $0, root: 0) }
        }
        timings.factor.seconds += monotonicSeconds() - t0
        timings.factor.flops += Double(m) * Double(m) * Double(m) / 3
        t0 = monotonicSeconds()
        // dpotrs takes the right-hand sides as rows of a row-major array: Fᵀ's rows are F's item columns.
        var wt = fitTransposed
        _ = factor.withUnsafeBufferPointer { f in
            wt.withUnsafeMutableBufferPointer { LAPACK.choleskySolve(n: m, nrhs: items, factor: f.baseAddress!, b: $0.baseAddress!) }
        }
        timings.solve.seconds += monotonicSeconds() - t0
        timings.solve.flops += 2 * Double(m) * Double(m) * Double(items)
        return wt
    }

    /// Fᵀ dense, `[items x m]` row-major (the replicated Cholesky path's right-hand sides).
    private lazy var fitTransposed: [Double] = {
        var out = [Double](repeating: 0, count: items * m)
        for u in 0..<m {
            for p in fit.offsets[u]..<fit.offsets[u + 1] { out[Int(fit.indices[p]) * m + u] = fit.value(at: p) }
        }
        return out
    }()

    /// The floating-point operations of `predict` for `rows` rows (eigen: a
    /// GEMM with Vᵀ F; Cholesky: a copy, the products were counted as solves).
    public func predictFlops(rows: Int) -> Double { solver == .eigen ? 2 * Double(rows) * Double(m) * Double(items) : 0 }

    /// Scores `[rows.count x items]` of context rows `rows` from their coefficients.
    public func predict(_ coefficients: Coefficients, rows: Range<Int>, into out: UnsafeMutablePointer<Double>) {
        let m = self.m, d = items
        switch solver {
        case .eigen:
            coefficients.dual.withUnsafeBufferPointer { c in
                projected.withUnsafeBufferPointer { p in
                    LAPACK.dgemm(m: rows.count, n: d, k: m, a: c.baseAddress! + rows.lowerBound * m, lda: m,
                                 b: p.baseAddress!, ldb: d, c: out, ldc: d)
                }
            }
        case .cholesky:
            let c = coefficients
            c.values.withUnsafeBufferPointer { v in
                let base = v.baseAddress! + c.offset + rows.lowerBound * c.rowStride
                if c.colStride == 1 && c.scale == 1 {
                    for i in 0..<rows.count { (out + i * d).update(from: base + i * c.rowStride, count: d) }
                } else {
                    // Column-major source: tiles of items keep both sides in cache.
                    let tile = 64
                    for j0 in stride(from: 0, to: d, by: tile) {
                        let j1 = min(j0 + tile, d)
                        for i in 0..<rows.count {
                            let src = base + i * c.rowStride, dst = out + i * d
                            for j in j0..<j1 { dst[j] = c.scale * src[j * c.colStride] }
                        }
                    }
                }
            }
            if let plus = c.plus {
                for (i, u) in rows.enumerated() {
                    for p in plus.offsets[u]..<plus.offsets[u + 1] { out[i * d + Int(plus.indices[p])] += plus.value(at: p) }
                }
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

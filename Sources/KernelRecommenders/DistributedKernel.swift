import Collectives
import ScaLAPACK

/// Where the kernel and its factorisation live.
public enum KernelEngine: String, Sendable, CaseIterable, Codable {
    /// Every rank holds the whole m x m kernel; rank 0 factorises with LAPACK.
    case replicated
    /// The kernel is block-cyclic over a 2-D grid of the ranks and ScaLAPACK
    /// factorises it (pdsyevd or pdpotrf): each rank holds about m²/P.
    case scalapack
}

/// The ScaLAPACK side of `KernelRegression`. K(F, F) goes to the 2-D grid;
///
/// - eigen: `pdsyevd` once; each rank then keeps its own rows of V (the P x 1
///   layout) and the grid's V for contexts other than the fit rows, so a λ
///   costs what it costs on the replicated engine (a scaling and the product
///   with Vᵀ F), never an m x m product;
/// - Cholesky: K and F (m x items) stay on the grid; each λ factorises
///   K + λ'I (`pdpotrf`) and solves W = (K + λ'I)⁻¹ F (`pdpotrs`, the items
///   as right-hand sides); a rank's fit rows score as F - λ'W (its rows of W
///   come back in the P x 1 layout), another context as K(C,F) W (`pdgemm`).
///
/// Row-major rows of a rank's users are the columns of the transpose in a
/// 1 x P layout; K is symmetric, so the kernel rows a rank formed are its
/// columns of K, and no transpose is ever formed.
final class DistributedKernel {
    let engine: ScaLAPACKEngine
    let m: Int
    let solver: KernelSolver
    /// Eigen: eigenvalues ascending, eigenvectors on the grid, and this rank's
    /// rows of V column-major `[rows x m]` (ld = its row count, so read as
    /// row-major it is Vᵀ's columns `[m x rows]`).
    private(set) var eigenvalues: [Double] = []
    private var vectors: DistributedMatrix?
    private(set) var ownVectorRows: [Double] = []
    /// Cholesky: K and F on the grid.
    private var kernel2D: DistributedMatrix?
    private var fit2D: DistributedMatrix?
    let items: Int

    var comm: Communicator { engine.comm }

    /// `rows`: this rank's kernel rows (`ScaLAPACKEngine.columnBlock(m)`), row-major `[rows x m]`;
    /// `fit`: every fit row (the same on every rank).
    init(rows: [Double], m: Int, solver: KernelSolver, fit: SparseRows, comm: Communicator, block: Int) throws {
        engine = try ScaLAPACKEngine(comm: comm, block: block)
        self.m = m
        self.solver = solver
        items = fit.columns
        var k = try engine.redistribute(Self.matrix(rows, engine.lineLayout(rows: m, cols: m), rank: comm.rank),
                                        to: engine.gridLayout(rows: m, cols: m))
        switch solver {
        case .eigen:
            let (w, v) = try engine.symmetricEigen(&k)
            eigenvalues = w
            vectors = v
            let own = try engine.redistribute(v, to: engine.rowLayout(rows: m, cols: m))
            ownVectorRows = own.localRows == 0 ? [] : own.local
        case .cholesky:
            kernel2D = k
            // This rank's fit rows, column-major in the P x 1 layout, then on the grid.
            var own = DistributedMatrix(layout: engine.rowLayout(rows: m, cols: items), rank: comm.rank)
            let mine = ScaLAPACKEngine.columnBlock(m, rank: comm.rank, ranks: comm.size), ld = own.leadingDimension
            for u in mine {
                for p in fit.offsets[u]..<fit.offsets[u + 1] { own.local[(u - mine.lowerBound) + Int(fit.indices[p]) * ld] = fit.value(at: p) }
            }
            fit2D = try engine.redistribute(own, to: engine.gridLayout(rows: m, cols: items))
        }
    }

    /// Cholesky: W = (K + λ'I)⁻¹ F on the grid for λ' = `ridge` (collective);
    /// the factorisation's and the solve's seconds and this rank's share of
    /// their operations go to `timings`.
    func solveFit(ridge: Double, lambda: Double, timings: inout KernelTimings) throws -> DistributedMatrix {
        var t0 = monotonicSeconds()
        var a = kernel2D!
        a.addToDiagonal(ridge)
        let info = try engine.cholesky(&a)
        guard info == 0 else {
            throw InputError("lambda \(lambda): K + λ'I is not positive definite in double precision (pdpotrf info \(info)); use solver eigen or a larger lambda")
        }
        let p = Double(comm.size), n = Double(m)
        timings.factor.seconds += monotonicSeconds() - t0
        timings.factor.flops += n * n * n / 3 / p
        t0 = monotonicSeconds()
        var w = fit2D!
        try engine.choleskySolve(a, &w)
        timings.solve.seconds += monotonicSeconds() - t0
        timings.solve.flops += 2 * n * n * Double(items) / p
        return w
    }

    /// This rank's rows of `w` (m x items on the grid), column-major (the P x 1 layout).
    func ownRows(of w: DistributedMatrix) throws -> DistributedMatrix {
        try engine.redistribute(w, to: engine.rowLayout(rows: m, cols: items))
    }

    /// K(C,F) W for `count` context rows from K(F,C) on the grid: this rank's
    /// block of the context rows, column-major (the P x 1 layout).
    func scores(_ kernelFC: DistributedMatrix, _ w: DistributedMatrix, count: Int) throws -> DistributedMatrix {
        var out = DistributedMatrix(layout: engine.gridLayout(rows: count, cols: items), rank: comm.rank)
        try engine.gemm(transA: true, kernelFC, w, into: &out)
        return try engine.redistribute(out, to: engine.rowLayout(rows: count, cols: items))
    }

    /// `local` as this rank's part of `layout` (padded to the one element an empty part still holds).
    static func matrix(_ local: [Double], _ layout: MatrixLayout, rank: Int) -> DistributedMatrix {
        let need = layout.localElements(rank)
        return DistributedMatrix(layout: layout, rank: rank,
                                 local: local.count < need ? local + [Double](repeating: 0, count: need - local.count) : local)
    }

    /// K(C, F)ᵀ on the grid, from each rank's `[rows x m]` kernel rows of `count` context rows.
    func contextOnGrid(_ rows: [Double], count: Int) throws -> DistributedMatrix {
        try engine.redistribute(Self.matrix(rows, engine.lineLayout(rows: m, cols: count), rank: comm.rank),
                                to: engine.gridLayout(rows: m, cols: count))
    }

    /// Eigen: this rank's rows of K(C, F) V, `[rows x m]` (Vᵀ K(F,C) on the grid, back in the line layout).
    func projectContext(_ rows: [Double], count: Int) throws -> [Double] {
        let kt = try contextOnGrid(rows, count: count)
        var projected = DistributedMatrix(layout: kt.layout, rank: comm.rank)
        try engine.gemm(transA: true, vectors!, kt, into: &projected)
        let back = try engine.redistribute(projected, to: engine.lineLayout(rows: m, cols: count))
        return back.localCols == 0 ? [] : back.local
    }

    /// Bytes the largest rank holds on this path at its peak (see `KernelRegression.bytesNeeded`).
    static func bytesNeeded(fitRows m: Int, items: Int, contextRows n: Int, ranks: Int, solver: KernelSolver,
                            block: Int, blockRows: Int) -> Int {
        let grid = { (r: Int, c: Int) in ScaLAPACKEngine.gridElements(rows: r, cols: c, ranks: ranks, block: block) }
        let own = (m + ranks - 1) / ranks * m, context = (n + ranks - 1) / ranks * m
        let path = solver == .eigen
            // K, V and pdsyevd's work; then V, own rows of V, Vᵀ F, and a context's K(F,C) and its projection.
            ? max(2 * grid(m, m) + (1 + 8 * m + 2 * grid(m, m)), grid(m, m) + own + m * items + 2 * grid(m, n))
            // K, K + λ'I; F, a λ's W and the best λ's; a context's K(F,C) and its scores.
            : 2 * grid(m, m) + 3 * grid(m, items) + grid(m, n) + 2 * grid(n, items)
        return 8 * (own + path + 3 * context + 3 * blockRows * items)
    }
}

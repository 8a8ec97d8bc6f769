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

/// The ScaLAPACK side of `KernelRegression`: K(F, F) on the 2-D grid, its
/// eigendecomposition (eigen) or the kernel kept for a Cholesky per λ, and
/// the per-λ coefficients of context rows, returned to each rank as its own
/// rows in the fit basis (C = K(C,F) (K + λ'I)⁻¹, `[c x m]` row-major), so
/// prediction is the same sparse-block product on both engines.
///
/// Row-major rows of a rank's users are the columns of the transpose in a
/// 1 x P layout; K is symmetric, so the kernel rows a rank formed are its
/// columns of K, and no transpose is ever formed.
final class DistributedKernel {
    let engine: ScaLAPACKEngine
    let m: Int
    let solver: KernelSolver
    /// Eigen: eigenvalues ascending and eigenvectors on the grid. Cholesky: K on the grid.
    private(set) var eigenvalues: [Double] = []
    private var vectors: DistributedMatrix?
    private var kernel2D: DistributedMatrix?

    /// `rows`: this rank's kernel rows (`ScaLAPACKEngine.columnBlock(m)`), row-major `[rows x m]`.
    init(rows: [Double], m: Int, solver: KernelSolver, comm: Communicator, block: Int) throws {
        engine = try ScaLAPACKEngine(comm: comm, block: block)
        self.m = m
        self.solver = solver
        let line = engine.lineLayout(rows: m, cols: m)
        var local = rows
        if local.count < line.localElements(comm.rank) { local += [Double](repeating: 0, count: line.localElements(comm.rank) - local.count) }
        var k = try engine.redistribute(DistributedMatrix(layout: line, rank: comm.rank, local: local),
                                        to: engine.gridLayout(rows: m, cols: m))
        switch solver {
        case .eigen:
            let (w, v) = try engine.symmetricEigen(&k)
            eigenvalues = w
            vectors = v
        case .cholesky:
            kernel2D = k
        }
    }

    /// Context kernel rows `[c x m]` of this rank's block of `count` context
    /// rows, as the transpose on the grid; eigen also projects it on Vᵀ.
    func prepare(_ rows: [Double], count: Int) throws -> DistributedMatrix {
        let line = engine.lineLayout(rows: m, cols: count)
        var local = rows
        let need = line.localElements(engine.comm.rank)
        if local.count < need { local += [Double](repeating: 0, count: need - local.count) }
        let kt = try engine.redistribute(DistributedMatrix(layout: line, rank: engine.comm.rank, local: local),
                                         to: engine.gridLayout(rows: m, cols: count))
        guard solver == .eigen, let v = vectors else { return kt }
        var projected = DistributedMatrix(layout: kt.layout, rank: engine.comm.rank)
        try engine.gemm(transA: true, v, kt, into: &projected)
        return projected
    }

    /// This rank's `[rows x m]` coefficients for λ' = `ridge` (collective).
    func coefficients(_ prepared: DistributedMatrix, count: Int, rows: Int, ridge: Double, lambda: Double) throws -> [Double] {
        var out = DistributedMatrix(layout: prepared.layout, rank: engine.comm.rank)
        switch solver {
        case .eigen:
            // V diag(1 / (e + λ')) Vᵀ K(F,C).
            var scaled = prepared
            scaled.scaleRows(eigenvalues.map { 1 / max($0 + ridge, Double.leastNormalMagnitude) })
            try engine.gemm(vectors!, scaled, into: &out)
        case .cholesky:
            var a = kernel2D!
            a.addToDiagonal(ridge)
            let info = try engine.cholesky(&a)
            let agreed = engine.comm.allreduce(.kernel, Int64(info), op: .max)
            guard agreed == 0 else {
                throw InputError("lambda \(lambda): K + λ'I is not positive definite in double precision (pdpotrf info \(agreed)); use solver eigen or a larger lambda")
            }
            out = prepared
            try engine.choleskySolve(a, &out)
        }
        let back = try engine.redistribute(out, to: engine.lineLayout(rows: m, cols: count))
        return back.local.count == rows * m ? back.local : Array(back.local.prefix(rows * m))
    }

    /// Bytes the largest rank holds on this path (see `KernelRegression.bytesNeeded`).
    static func bytesNeeded(fitRows m: Int, items: Int, contextRows n: Int, ranks: Int, solver: KernelSolver,
                            block: Int, blockRows: Int) -> Int {
        let grid = { (r: Int, c: Int) in ScaLAPACKEngine.gridElements(rows: r, cols: c, ranks: ranks, block: block) }
        let own = (m + ranks - 1) / ranks * m, context = (n + ranks - 1) / ranks * m
        let factor = solver == .eigen
            ? 2 * grid(m, m) + (1 + 8 * m + 2 * grid(m, m)) + 3 * grid(m, n)  // K, V, pdsyevd's work; Vᵀ K(F,C), scaled, product
            : 2 * grid(m, m) + 2 * grid(m, n)                                  // K, K + λ'I; right-hand sides, solution
        return 8 * (own + factor + 3 * context + 3 * blockRows * items)
    }
}

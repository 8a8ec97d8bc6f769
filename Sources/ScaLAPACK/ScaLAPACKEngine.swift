import CScaLAPACK
import Collectives
import CollectivesMPI

/// ScaLAPACK over the ranks of an MPI communicator: a square-ish 2-D grid for
/// the factorisations and products, a 1 x P grid in which each rank holds its
/// own contiguous block of columns (the rows it computed, transposed), a P x 1
/// grid in which it holds its own block of rows, and the redistribution
/// between them (pdgemr2d).
///
/// The ledger (`.kernel`): a redistribution records the exact bytes each pair
/// of ranks exchanges, computed from the two layouts. Inside a factorisation or
/// a product ScaLAPACK's own messages are not visible to Strata, so each call
/// records its time and, as the collective payload, the bytes of this rank's
/// operands (docs/DESIGN.md "Kernel recommenders").
public final class ScaLAPACKEngine {
    public let comm: Communicator
    /// Block size of the 2-D layout (rows and columns).
    public let block: Int
    public var gridRows: Int { square.rows }
    public var gridCols: Int { square.cols }
    let square: BlacsGrid
    let line: BlacsGrid
    let column: BlacsGrid

    /// Fails with a sentence when `comm` is not made of MPI ranks (ranks that
    /// are threads in one process cannot host BLACS).
    public init(comm: Communicator, block: Int = 64) throws {
        guard let mpi = comm as? MPICommunicator else {
            throw InputError("the ScaLAPACK path needs MPI ranks (strata under mpirun); this communicator's ranks are threads")
        }
        precondition(block >= 1)
        self.comm = comm
        self.block = block
        let (r, c) = Self.gridShape(ranks: comm.size)
        square = try BlacsGrid(comm: mpi, rows: r, cols: c)
        line = try BlacsGrid(comm: mpi, rows: 1, cols: comm.size)
        column = try BlacsGrid(comm: mpi, rows: comm.size, cols: 1)
    }

    /// Whether `comm`'s ranks can host BLACS (MPI processes, not threads).
    public static func available(on comm: Communicator) -> Bool { comm is MPICommunicator }

    /// The most square r x c = ranks with r <= c.
    public static func gridShape(ranks: Int) -> (rows: Int, cols: Int) {
        var r = 1
        var d = 1
        while d * d <= ranks { if ranks % d == 0 { r = d }; d += 1 }
        return (r, ranks / r)
    }

    /// The 2-D layout of a rows x cols matrix.
    public func gridLayout(rows: Int, cols: Int) -> MatrixLayout {
        MatrixLayout(rows: rows, cols: cols, rowBlock: block, colBlock: block, gridRows: gridRows, gridCols: gridCols)
    }

    /// The 1 x P layout: this rank holds columns `columnBlock(cols)`.
    public func lineLayout(rows: Int, cols: Int) -> MatrixLayout {
        MatrixLayout.columnBlocks(rows: rows, cols: cols, ranks: comm.size)
    }

    /// The P x 1 layout: this rank holds rows `columnBlock(rows)`, every
    /// column, column-major (ld = its row count).
    public func rowLayout(rows: Int, cols: Int) -> MatrixLayout {
        MatrixLayout(rows: rows, cols: cols, rowBlock: max(1, (rows + comm.size - 1) / comm.size), colBlock: max(1, cols),
                     gridRows: comm.size, gridCols: 1)
    }

    /// The columns this rank holds in `lineLayout` (ceil(cols / P) a rank).
    public static func columnBlock(_ cols: Int, rank: Int, ranks: Int) -> Range<Int> {
        let b = max(1, (cols + ranks - 1) / ranks)
        return min(cols, rank * b)..<min(cols, (rank + 1) * b)
    }

    /// Doubles one rank stores of a rows x cols matrix on the 2-D grid, at most (rank 0 holds the most).
    public static func gridElements(rows: Int, cols: Int, ranks: Int, block: Int) -> Int {
        let (r, c) = gridShape(ranks: ranks)
        return MatrixLayout(rows: rows, cols: cols, rowBlock: block, colBlock: block, gridRows: r, gridCols: c).localElements(0)
    }

    /// The grid a layout lives on, by shape (grids of one shape are the same
    /// ranks in the same order, so a 1 x P 2-D grid serves as the line).
    func grid(of layout: MatrixLayout) -> BlacsGrid {
        if layout.gridRows == square.rows && layout.gridCols == square.cols { return square }
        return layout.gridRows == 1 ? line : column
    }

    func descriptor(_ a: DistributedMatrix) throws -> [Int32] { try grid(of: a.layout).descriptor(a.layout, rank: comm.rank) }

    private func timed<T>(_ payload: Int, _ body: () throws -> T) rethrows -> T {
        let t0 = monotonicSeconds()
        defer {
            comm.ledger.recordCall(.kernel, seconds: monotonicSeconds() - t0)
            comm.ledger.recordCollective(.kernel, bytes: payload)
        }
        return try body()
    }

    // MARK: Redistribution.

    /// `a` in layout `target` (collective).
    public func redistribute(_ a: DistributedMatrix, to target: MatrixLayout) throws -> DistributedMatrix {
        precondition(a.layout.rows.count == target.rows.count && a.layout.cols.count == target.cols.count)
        var b = DistributedMatrix(layout: target, rank: comm.rank)
        let descA = try descriptor(a), descB = try descriptor(b)
        var m = Int32(target.rows.count), n = Int32(target.cols.count), one: Int32 = 1, ctx = line.context
        let t0 = monotonicSeconds()
        a.local.withUnsafeBufferPointer { pa in
            b.local.withUnsafeMutableBufferPointer { pb in
                pdgemr2d_(&m, &n, pa.baseAddress!, &one, &one, descA, pb.baseAddress!, &one, &one, descB, &ctx)
            }
        }
        for p in 0..<comm.size {
            let sent = a.layout.elementsMoved(from: comm.rank, to: p, target: target) * 8
            let received = a.layout.elementsMoved(from: p, to: comm.rank, target: target) * 8
            comm.ledger.recordPeer(.kernel, peer: comm.worldRanks[p], sent: sent, received: received)
        }
        comm.ledger.recordCall(.kernel, seconds: monotonicSeconds() - t0)
        return b
    }

    // MARK: Products and factorisations.

    /// c = alpha op(a) op(b) + beta c (pdgemm).
    public func gemm(transA: Bool = false, transB: Bool = false, alpha: Double = 1, _ a: DistributedMatrix,
                     _ b: DistributedMatrix, beta: Double = 0, into c: inout DistributedMatrix) throws {
        var m = Int32(c.layout.rows.count), n = Int32(c.layout.cols.count)
        var k = Int32(transA ? a.layout.rows.count : a.layout.cols.count)
        precondition(Int(k) == (transB ? b.layout.cols.count : b.layout.rows.count), "gemm: inner dimensions differ")
        let descA = try descriptor(a), descB = try descriptor(b), descC = try descriptor(c)
        var ta: CChar = transA ? 0x54 : 0x4E, tb: CChar = transB ? 0x54 : 0x4E
        var al = alpha, be = beta, one: Int32 = 1
        timed(8 * (a.local.count + b.local.count + c.local.count)) {
            a.local.withUnsafeBufferPointer { pa in
                b.local.withUnsafeBufferPointer { pb in
                    c.local.withUnsafeMutableBufferPointer { pc in
                        pdgemm_(&ta, &tb, &m, &n, &k, &al, pa.baseAddress!, &one, &one, descA, pb.baseAddress!, &one, &one, descB,
                                &be, pc.baseAddress!, &one, &one, descC)
                    }
                }
            }
        }
    }

    /// The lower Cholesky factor of a symmetric positive definite `a`, in place (pdpotrf).
    /// Returns ScaLAPACK's info: 0, or the order of the leading minor that is not positive definite.
    public func cholesky(_ a: inout DistributedMatrix) throws -> Int {
        var n = Int32(a.layout.rows.count), one: Int32 = 1, info: Int32 = 0, uplo: CChar = 0x4C
        let desc = try descriptor(a)
        timed(8 * a.local.count) {
            a.local.withUnsafeMutableBufferPointer { pa in pdpotrf_(&uplo, &n, pa.baseAddress!, &one, &one, desc, &info, 1) }
        }
        guard info >= 0 else { throw InputError("pdpotrf: argument \(-info) is invalid") }
        return Int(info)
    }

    /// Solves (L Lᵀ) X = b in place from `cholesky`'s factor (pdpotrs).
    public func choleskySolve(_ factor: DistributedMatrix, _ b: inout DistributedMatrix) throws {
        var n = Int32(factor.layout.rows.count), nrhs = Int32(b.layout.cols.count), one: Int32 = 1, info: Int32 = 0
        var uplo: CChar = 0x4C
        let descA = try descriptor(factor), descB = try descriptor(b)
        timed(8 * (factor.local.count + b.local.count)) {
            factor.local.withUnsafeBufferPointer { pa in
                b.local.withUnsafeMutableBufferPointer { pb in
                    pdpotrs_(&uplo, &n, &nrhs, pa.baseAddress!, &one, &one, descA, pb.baseAddress!, &one, &one, descB, &info, 1)
                }
            }
        }
        guard info == 0 else { throw InputError("pdpotrs: argument \(-info) is invalid") }
    }

    /// pdsyevd's workspace from its documented bounds. Its own query can come
    /// out short when the block is larger than the matrix (PDORMTR, which it
    /// calls, then refuses LWORK), so the larger of the two is used.
    static func eigenWorkspace(_ a: DistributedMatrix) -> Int {
        let n = a.layout.rows.count, nb = a.layout.rows.block
        let np = a.localRows, nq = a.localCols
        let trilwmin = 3 * n + max(nb * (np + 1), 3 * nb)
        let ormtr = max(nb * (nb - 1) / 2, (np + nq) * nb) + nb * nb
        return max(1 + 6 * n + 2 * np * nq, trilwmin, ormtr + n) + 2 * n
    }

    /// Eigenvalues (ascending, on every rank) and eigenvectors (columns, in
    /// `a`'s layout) of a symmetric `a`, which is overwritten (pdsyevd).
    public func symmetricEigen(_ a: inout DistributedMatrix) throws -> (values: [Double], vectors: DistributedMatrix) {
        var n = Int32(a.layout.rows.count), one: Int32 = 1, info: Int32 = 0
        var jobz: CChar = 0x56, uplo: CChar = 0x4C
        var z = DistributedMatrix(layout: a.layout, rank: comm.rank)
        var w = [Double](repeating: 0, count: Int(n))
        let desc = try descriptor(a)
        // Workspace query, then the decomposition.
        var lwork: Int32 = -1, liwork: Int32 = -1
        var work = [Double](repeating: 0, count: 1), iwork = [Int32](repeating: 0, count: 1)
        try timed(8 * 2 * a.local.count) {
            for pass in 0..<2 {
                a.local.withUnsafeMutableBufferPointer { pa in
                    z.local.withUnsafeMutableBufferPointer { pz in
                        pdsyevd_(&jobz, &uplo, &n, pa.baseAddress!, &one, &one, desc, &w, pz.baseAddress!, &one, &one, desc,
                                 &work, &lwork, &iwork, &liwork, &info, 1, 1)
                    }
                }
                guard info == 0 else { throw InputError("pdsyevd: info \(info) (\(pass == 0 ? "workspace query" : "decomposition"))") }
                if pass == 0 {
                    lwork = Int32(max(Int(work[0].rounded(.up)) + 1, Self.eigenWorkspace(a)))
                    liwork = max(iwork[0], 1)
                    work = [Double](repeating: 0, count: Int(lwork))
                    iwork = [Int32](repeating: 0, count: Int(liwork))
                }
            }
        }
        // W is documented as global, but a rank that holds no block of the
        // matrix (a block larger than its share) is left with a partial one;
        // rank 0 always holds the first block.
        w.withUnsafeMutableBufferPointer { comm.broadcast(.kernel, $0, root: 0) }
        return (w, z)
    }
}

import CScaLAPACK
import Collectives
import CollectivesMPI

/// A BLACS process grid over the ranks of an MPI communicator, in row-major
/// order (rank = row * cols + column), as `MatrixLayout` assumes.
final class BlacsGrid {
    let rows: Int
    let cols: Int
    let context: Int32
    private let handle: Int32

    init(comm: MPICommunicator, rows: Int, cols: Int) throws {
        precondition(rows * cols == comm.size, "a \(rows) x \(cols) grid over \(comm.size) ranks")
        var me: Int32 = 0, n: Int32 = 0
        Cblacs_pinfo(&me, &n)
        handle = Csys2blacs_handle(UnsafeMutableRawPointer(comm.mpiHandle))
        var ctx = handle
        var order: [CChar] = [0x52, 0]  // "R"
        Cblacs_gridinit(&ctx, &order, Int32(rows), Int32(cols))
        context = ctx
        self.rows = rows
        self.cols = cols
        var r: Int32 = -1, c: Int32 = -1, pr: Int32 = 0, pc: Int32 = 0
        Cblacs_gridinfo(ctx, &pr, &pc, &r, &c)
        guard Int(r) * cols + Int(c) == comm.rank, Int(pr) == rows, Int(pc) == cols else {
            throw InputError("BLACS placed rank \(comm.rank) at (\(r), \(c)) of a \(pr) x \(pc) grid, not at its row-major place in \(rows) x \(cols)")
        }
    }

    deinit {
        Cblacs_gridexit(context)
        Cfree_blacs_system_handle(handle)
    }

    /// ScaLAPACK's array descriptor of `layout` on this grid, for `rank`.
    func descriptor(_ layout: MatrixLayout, rank: Int) throws -> [Int32] {
        precondition(layout.gridRows == rows && layout.gridCols == cols, "a layout for another grid")
        var desc = [Int32](repeating: 0, count: 9)
        var m = Int32(layout.rows.count), n = Int32(layout.cols.count)
        var mb = Int32(layout.rows.block), nb = Int32(layout.cols.block)
        var zero: Int32 = 0, ctx = context, lld = Int32(layout.leadingDimension(rank)), info: Int32 = 0
        descinit_(&desc, &m, &n, &mb, &nb, &zero, &zero, &ctx, &lld, &info)
        guard info == 0 else { throw InputError("descinit: argument \(-info) of a \(m) x \(n) layout is invalid") }
        return desc
    }
}

/// A block-cyclic matrix layout over a process grid: the rows split over the
/// grid's rows, the columns over its columns, each process holding its part
/// column-major with leading dimension max(1, local rows), as ScaLAPACK
/// expects. Pure arithmetic; `BlacsGrid` makes the descriptor.
public struct MatrixLayout: Sendable, Equatable {
    public let rows: BlockCyclic
    public let cols: BlockCyclic

    public init(rows: Int, cols: Int, rowBlock: Int, colBlock: Int, gridRows: Int, gridCols: Int) {
        self.rows = BlockCyclic(count: rows, block: rowBlock, procs: gridRows)
        self.cols = BlockCyclic(count: cols, block: colBlock, procs: gridCols)
    }

    /// Each rank of a 1 x P grid holds a contiguous run of ceil(cols / P)
    /// columns, all rows: a row-major block of rows of the transpose, which
    /// is how every rank holds its own users' rows.
    public static func columnBlocks(rows: Int, cols: Int, ranks: Int) -> MatrixLayout {
        MatrixLayout(rows: rows, cols: cols, rowBlock: max(1, rows), colBlock: max(1, (cols + ranks - 1) / ranks),
                     gridRows: 1, gridCols: ranks)
    }

    public var gridRows: Int { rows.procs }
    public var gridCols: Int { cols.procs }

    /// Grid position of a rank ("R" order: rank = row * gridCols + column).
    public func position(of rank: Int) -> (row: Int, col: Int) { (rank / gridCols, rank % gridCols) }
    public func rank(row: Int, col: Int) -> Int { row * gridCols + col }

    public func localRows(_ rank: Int) -> Int { rows.localCount(position(of: rank).row) }
    public func localCols(_ rank: Int) -> Int { cols.localCount(position(of: rank).col) }
    public func leadingDimension(_ rank: Int) -> Int { max(1, localRows(rank)) }
    /// Doubles the rank stores (at least one, so a buffer always has an address).
    public func localElements(_ rank: Int) -> Int { max(1, leadingDimension(rank) * localCols(rank)) }

    /// Elements moving from rank `from` (in this layout) to rank `to` (in
    /// `target`) when a matrix is redistributed; `from == to` is a local copy.
    public func elementsMoved(from: Int, to: Int, target: MatrixLayout) -> Int {
        let a = position(of: from), b = target.position(of: to)
        return rows.overlap(a.row, with: target.rows, b.row) * cols.overlap(a.col, with: target.cols, b.col)
    }
}

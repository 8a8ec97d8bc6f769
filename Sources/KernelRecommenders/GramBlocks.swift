import Tensors

/// Gram entries `<a_i, b_j>` between sparse rows, by dense GEMMs of row blocks:
/// each block of at most `blockRows` rows is written dense once (`[blockRows x
/// items]`) and multiplied with BLAS, so no whole users x items matrix is ever
/// dense at once.
public struct GramBlocks {
    public var blockRows: Int

    public init(blockRows: Int = 256) { self.blockRows = blockRows }

    /// `out[i * ldOut + j] = <A_{rowsA[i]}, B_{rowsB[j]}>`.
    public func gram(_ a: SparseRows, rows rowsA: Range<Int>, _ b: SparseRows, rows rowsB: Range<Int>,
                     into out: UnsafeMutablePointer<Double>, ldOut: Int) {
        precondition(a.columns == b.columns, "Gram of rows with different widths")
        let d = a.columns
        let blockA = UnsafeMutablePointer<Double>.allocate(capacity: max(1, min(blockRows, rowsA.count) * d))
        let blockB = UnsafeMutablePointer<Double>.allocate(capacity: max(1, min(blockRows, rowsB.count) * d))
        defer { blockA.deallocate(); blockB.deallocate() }
        for ja in stride(from: rowsA.lowerBound, to: rowsA.upperBound, by: blockRows) {
            let ra = ja..<min(ja + blockRows, rowsA.upperBound)
            a.densify(ra, into: blockA)
            for jb in stride(from: rowsB.lowerBound, to: rowsB.upperBound, by: blockRows) {
                let rb = jb..<min(jb + blockRows, rowsB.upperBound)
                b.densify(rb, into: blockB)
                LAPACK.dgemm(transB: true, m: ra.count, n: rb.count, k: d, a: blockA, lda: d, b: blockB, ldb: d,
                             c: out + (ja - rowsA.lowerBound) * ldOut + (jb - rowsB.lowerBound), ldc: ldOut)
            }
        }
    }

    /// `out[r x items] (+)= coefficients[r x rows(b)] · B`, B's rows densified
    /// block by block (the prediction of a kernel regression from its dual
    /// coefficients).
    public func multiply(_ coefficients: UnsafePointer<Double>, rows: Int, ldCoefficients: Int, _ b: SparseRows,
                         into out: UnsafeMutablePointer<Double>, accumulate: Bool = false) {
        let d = b.columns
        let block = UnsafeMutablePointer<Double>.allocate(capacity: max(1, min(blockRows, b.rows) * d))
        defer { block.deallocate() }
        if !accumulate { out.initialize(repeating: 0, count: rows * d) }
        for jb in stride(from: 0, to: b.rows, by: blockRows) {
            let rb = jb..<min(jb + blockRows, b.rows)
            b.densify(rb, into: block)
            LAPACK.dgemm(m: rows, n: d, k: rb.count, a: coefficients + jb, lda: ldCoefficients,
                         b: block, ldb: d, beta: 1, c: out, ldc: d)
        }
    }
}

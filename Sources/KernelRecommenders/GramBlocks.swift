import Tensors

/// Gram entries `<a_i, b_j>` between sparse rows, by dense GEMMs of row blocks:
/// each block of at most `blockRows` rows is written dense once (`[blockRows x
/// items]`) and multiplied with BLAS, so no whole users x items matrix is ever
/// dense at once.
public struct GramBlocks {
    public var blockRows: Int

    public init(blockRows: Int = 256) { self.blockRows = blockRows }

    /// `out[i * ldOut + j] = <A_{rowsA[i]}, B_{rowsB[j]}>`.
    ///
    /// Binary rows (no values) multiply in single precision: every product is
    /// 0 or 1 and every partial sum an integer below 2^24, so SGEMM's result is
    /// exact and equals DGEMM's to the bit, at twice the rate.
    public func gram(_ a: SparseRows, rows rowsA: Range<Int>, _ b: SparseRows, rows rowsB: Range<Int>,
                     into out: UnsafeMutablePointer<Double>, ldOut: Int) {
        precondition(a.columns == b.columns, "Gram of rows with different widths")
        if a.values == nil && b.values == nil && a.columns < 1 << 24 {
            gramBinary(a, rows: rowsA, b, rows: rowsB, into: out, ldOut: ldOut)
            return
        }
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

    /// The binary case: B's rows are written dense once (as floats, half of
    /// the doubles' bytes), A's a block at a time, and each block's product
    /// lands in a float scratch before it is widened into `out`.
    private func gramBinary(_ a: SparseRows, rows rowsA: Range<Int>, _ b: SparseRows, rows rowsB: Range<Int>,
                            into out: UnsafeMutablePointer<Double>, ldOut: Int) {
        let d = a.columns, na = min(blockRows, rowsA.count), nb = rowsB.count
        let blockA = UnsafeMutablePointer<Float>.allocate(capacity: max(1, na * d))
        let denseB = UnsafeMutablePointer<Float>.allocate(capacity: max(1, nb * d))
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(1, na * nb))
        defer { blockA.deallocate(); denseB.deallocate(); scratch.deallocate() }
        Self.densifyFloat(b, rowsB, into: denseB)
        for ja in stride(from: rowsA.lowerBound, to: rowsA.upperBound, by: blockRows) {
            let ra = ja..<min(ja + blockRows, rowsA.upperBound)
            Self.densifyFloat(a, ra, into: blockA)
            BLAS.gemm(transB: true, m: ra.count, n: nb, k: d, a: blockA, lda: d, b: denseB, ldb: d, c: scratch, ldc: nb)
            for i in 0..<ra.count {
                let dst = out + (ja - rowsA.lowerBound + i) * ldOut, src = scratch + i * nb
                for j in 0..<nb { dst[j] = Double(src[j]) }
            }
        }
    }

    static func densifyFloat(_ rows: SparseRows, _ range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        out.initialize(repeating: 0, count: range.count * rows.columns)
        for (i, u) in range.enumerated() {
            let base = out + i * rows.columns
            for item in rows.row(u) { base[Int(item)] = 1 }
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

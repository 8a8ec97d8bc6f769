/// One rank's part of a block-cyclic matrix: `local` column-major with the
/// layout's leading dimension for this rank.
public struct DistributedMatrix: Sendable {
    public let layout: MatrixLayout
    public let rank: Int
    public var local: [Double]

    public init(layout: MatrixLayout, rank: Int, local: [Double]? = nil) {
        self.layout = layout
        self.rank = rank
        let n = layout.localElements(rank)
        if let local { precondition(local.count == n, "\(local.count) local elements for a layout of \(n)") }
        self.local = local ?? [Double](repeating: 0, count: n)
    }

    public var localRows: Int { layout.localRows(rank) }
    public var localCols: Int { layout.localCols(rank) }
    public var leadingDimension: Int { layout.leadingDimension(rank) }

    /// Calls `body(globalRow, globalCol, localIndex)` for every entry this rank holds.
    public func forEachEntry(_ body: (Int, Int, Int) -> Void) {
        let (pr, pc) = layout.position(of: rank)
        let ld = leadingDimension
        for jl in 0..<localCols {
            let j = layout.cols.global(jl, on: pc)
            for il in 0..<localRows { body(layout.rows.global(il, on: pr), j, jl * ld + il) }
        }
    }

    /// Multiplies global row i by `scale[i]`.
    public mutating func scaleRows(_ scale: [Double]) {
        precondition(scale.count == layout.rows.count)
        let pr = layout.position(of: rank).row
        let ld = leadingDimension, rows = localRows, cols = localCols
        let globalRows = (0..<rows).map { layout.rows.global($0, on: pr) }
        local.withUnsafeMutableBufferPointer { a in
            for jl in 0..<cols { for il in 0..<rows { a[jl * ld + il] *= scale[globalRows[il]] } }
        }
    }

    /// Adds `value` to every diagonal entry this rank holds.
    public mutating func addToDiagonal(_ value: Double) {
        var diagonal: [Int] = []
        forEachEntry { i, j, k in if i == j { diagonal.append(k) } }
        for k in diagonal { local[k] += value }
    }
}

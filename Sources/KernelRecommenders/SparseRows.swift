/// Users' items as compressed sparse rows: row u holds the items of user u
/// (column indices ascending) and, for a continuous matrix such as a
/// Distill-CF summary before it is made binary, one value per entry.
///
///     rows 0: {2, 5}   1: {}   2: {0}     columns 6
///     offsets [0, 2, 2, 3]   indices [2, 5, 0]   values nil (all 1)
public struct SparseRows: Sendable, Equatable {
    public let columns: Int
    public private(set) var offsets: [Int]
    public private(set) var indices: [Int32]
    /// nil: every stored entry is 1 (implicit feedback).
    public private(set) var values: [Double]?

    public init(columns: Int, offsets: [Int] = [0], indices: [Int32] = [], values: [Double]? = nil) {
        precondition(offsets.first == 0 && offsets.last == indices.count, "offsets do not cover the indices")
        precondition(values == nil || values!.count == indices.count, "one value per index")
        self.columns = columns
        self.offsets = offsets
        self.indices = indices
        self.values = values
    }

    /// Binary rows from item lists (each list sorted and deduplicated here).
    public init(columns: Int, rows: [[Int32]]) {
        self.init(columns: columns)
        for r in rows { append(row: Array(Set(r)).sorted()) }
    }

    public var rows: Int { offsets.count - 1 }
    public var nonZeros: Int { indices.count }

    public func row(_ u: Int) -> ArraySlice<Int32> { indices[offsets[u]..<offsets[u + 1]] }
    public func count(_ u: Int) -> Int { offsets[u + 1] - offsets[u] }
    @inline(__always) public func value(at p: Int) -> Double { values?[p] ?? 1 }

    /// Appends one row; `items` ascending. `values` nil keeps the matrix binary
    /// only while it is binary.
    public mutating func append(row items: [Int32], values rowValues: [Double]? = nil) {
        if let rowValues {
            precondition(rowValues.count == items.count)
            if values == nil { values = [Double](repeating: 1, count: indices.count) }
            values!.append(contentsOf: rowValues)
        } else if values != nil {
            values!.append(contentsOf: repeatElement(1, count: items.count))
        }
        indices.append(contentsOf: items)
        offsets.append(indices.count)
    }

    /// Rows `range` as a matrix of their own.
    public func slice(_ range: Range<Int>) -> SparseRows {
        let lo = offsets[range.lowerBound], hi = offsets[range.upperBound]
        return SparseRows(columns: columns, offsets: offsets[range.lowerBound...range.upperBound].map { $0 - lo },
                          indices: Array(indices[lo..<hi]), values: values.map { Array($0[lo..<hi]) })
    }

    /// The chosen rows, in the order given.
    public func select(_ chosen: [Int]) -> SparseRows {
        var out = SparseRows(columns: columns)
        for u in chosen {
            let r = offsets[u]..<offsets[u + 1]
            out.append(row: Array(indices[r]), values: values.map { Array($0[r]) })
        }
        return out
    }

    /// Rows of `self` followed by the rows of `other` (same columns).
    public func appending(_ other: SparseRows) -> SparseRows {
        precondition(other.columns == columns)
        var out = self
        for u in 0..<other.rows {
            let r = other.offsets[u]..<other.offsets[u + 1]
            out.append(row: Array(other.indices[r]), values: other.values.map { Array($0[r]) })
        }
        return out
    }

    /// Entry-wise union of two binary matrices with the same rows (train + validation).
    public func union(_ other: SparseRows) -> SparseRows {
        precondition(other.rows == rows && other.columns == columns)
        return SparseRows(columns: columns, rows: (0..<rows).map { Array(row($0)) + Array(other.row($0)) })
    }

    /// Entry-wise sum of two matrices with the same rows: the paper's test
    /// context, train + validation, where a pair in both counts 2. Binary
    /// while no entry is in both.
    public func adding(_ other: SparseRows) -> SparseRows {
        precondition(other.rows == rows && other.columns == columns)
        var sums: [[(Int32, Double)]] = []
        var binary = values == nil && other.values == nil
        for u in 0..<rows {
            var entry: [Int32: Double] = [:]
            for (m, r) in [(self, u), (other, u)] {
                for p in m.offsets[r]..<m.offsets[r + 1] { entry[m.indices[p], default: 0] += m.value(at: p) }
            }
            let sorted = entry.sorted { $0.key < $1.key }
            if sorted.count < count(u) + other.count(u) { binary = false }
            sums.append(sorted.map { ($0.key, $0.value) })
        }
        var out = SparseRows(columns: columns)
        for row in sums { out.append(row: row.map(\.0), values: binary ? nil : row.map(\.1)) }
        return out
    }

    /// Rows `range` written dense into `out` (`[range.count x columns]`, row-major, zeroed first).
    public func densify(_ range: Range<Int>, into out: UnsafeMutablePointer<Double>) {
        out.initialize(repeating: 0, count: range.count * columns)
        for (i, u) in range.enumerated() {
            let base = out + i * columns
            for p in offsets[u]..<offsets[u + 1] { base[Int(indices[p])] = value(at: p) }
        }
    }

    /// Squared norm of each row.
    public var squaredNorms: [Double] {
        (0..<rows).map { u in
            guard let values else { return Double(count(u)) }
            return values[offsets[u]..<offsets[u + 1]].reduce(0) { $0 + $1 * $1 }
        }
    }
}

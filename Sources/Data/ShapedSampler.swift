import Tensors

/// Ranks in `1...count` drawn with another table's popularity shape (e.g.
/// MovieLens's items, from an access trace) stretched to `count` rows: a
/// source rank j of m by its share of the source's reads, then a rank
/// uniform in j's slice of `count / m` ranks. The same shape as
/// `AccessTrace.Table.shaped` (which interpolates linearly between
/// neighbours; here each slice is flat), so data and trace agree.
public struct ShapedSampler: Sendable {
    let count: Int
    /// Cumulative reads of the source's ranks, most read first.
    let cumulative: [Double]

    /// `shape`: the source's per-row reads, any order (zeros ignored).
    public init(count: Int, shape: [Int]) {
        let sorted = shape.filter { $0 > 0 }.sorted(by: >)
        precondition(count > 0 && !sorted.isEmpty, "a shaped sampler needs count > 0 and a shape with reads")
        self.count = count
        var total = 0.0
        cumulative = sorted.map { total += Double($0); return total }
    }

    /// A rank in 1...count.
    @inline(__always)
    public func sample(_ g: inout StrataRNG) -> Int {
        let u = g.nextUnit() * cumulative[cumulative.count - 1]
        var lo = 0, hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] > u { hi = mid } else { lo = mid + 1 }
        }
        let m = Double(cumulative.count)
        return 1 + min(count - 1, Int((Double(lo) + g.nextUnit()) * Double(count) / m))
    }
}

/// A table's rank law: Zipf, or another table's shape.
public enum RankSampler: Sendable {
    case zipf(ZipfSampler)
    case shaped(ShapedSampler)

    @inline(__always)
    public func sample(_ g: inout StrataRNG) -> Int {
        switch self {
        case .zipf(let z): return z.sample(&g)
        case .shaped(let s): return s.sample(&g)
        }
    }
}

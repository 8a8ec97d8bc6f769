import Foundation

extension AccessTrace.Table {
    /// Expected counts of `accesses` reads of a Zipf(`exponent`) popularity
    /// over `rows` rows (row i read with probability proportional to
    /// (i + 1)^-exponent), each rounded to the nearest integer: no sampling
    /// noise, the same file at every run, any table size.
    public static func zipf(name: String, rows: Int, exponent: Double, accesses: Int) -> Self {
        var h = 0.0
        for i in 0..<rows { h += pow(Double(i + 1), -exponent) }
        return scaled(name: name, rows: rows, accesses: accesses) { pow(Double($0 + 1), -exponent) / h }
    }

    /// The popularity shape of `source` (any table's counts, e.g. MovieLens's
    /// items from `strata data profile`) stretched to `rows` rows: row i
    /// takes the frequency of the source's sorted counts at the same rank
    /// quantile (linear between neighbours), normalised to `accesses` reads.
    /// Rows are in popularity order (row 0 the most read).
    public static func shaped(like source: [Int], name: String, rows: Int, accesses: Int) -> Self {
        let sorted = source.filter { $0 > 0 }.sorted(by: >).map(Double.init)
        precondition(!sorted.isEmpty, "the source table has no reads")
        let m = sorted.count
        func freq(_ i: Int) -> Double {
            let x = (Double(i) + 0.5) / Double(rows) * Double(m) - 0.5
            let a = min(max(Int(x.rounded(.down)), 0), m - 1), b = min(a + 1, m - 1)
            let t = min(max(x - Double(a), 0), 1)
            return sorted[a] * (1 - t) + sorted[b] * t
        }
        var total = 0.0
        for i in 0..<rows { total += freq(i) }
        return scaled(name: name, rows: rows, accesses: accesses) { freq($0) / total }
    }

    static func scaled(name: String, rows: Int, accesses: Int, probability p: (Int) -> Double) -> Self {
        var records: [(row: Int, count: Int)] = []
        for i in 0..<rows {
            let c = Int((Double(accesses) * p(i)).rounded())
            if c > 0 { records.append((i, c)) }
        }
        return Self(name: name, rows: rows, records: records)
    }
}

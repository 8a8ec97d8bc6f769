extension StrataRNG {
    /// `k` distinct values of `0..<n`, increasing (Floyd's algorithm: k draws
    /// and a set of k, however large n is, so a sample of a few blocks out of
    /// millions costs only the sample).
    public mutating func distinct(_ k: Int, of n: Int) -> [Int] {
        precondition(k >= 0 && k <= n, "distinct(\(k), of: \(n)): k must be in 0...n")
        var chosen = Set<Int>(minimumCapacity: k)
        for j in (n - k)..<n {
            let t = nextIndex(below: j + 1)
            chosen.insert(chosen.contains(t) ? j : t)
        }
        return chosen.sorted()
    }
}

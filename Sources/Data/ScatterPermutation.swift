/// A fixed pseudo-random bijection of `0..<n`, computed, not stored: a 4-round
/// Feistel network on the smallest even-bit power-of-two domain >= n, with cycle
/// walking back into range. Used to scatter Zipf ranks over table rows so that hot
/// rows are not the first rows.
///
/// ```
/// let p = ScatterPermutation(count: 10, seed: 7)
/// (0..<10).map(p.callAsFunction)   // some ordering of 0..<10, each once
/// ```
public struct ScatterPermutation: Sendable, Equatable {
    public let count: Int
    let seed: UInt64
    let halfBits: UInt64
    let mask: UInt64

    public init(count: Int, seed: UInt64) {
        precondition(count > 0, "ScatterPermutation needs count > 0")
        self.count = count
        self.seed = seed
        var bits: UInt64 = 2
        while (UInt64(1) << bits) < UInt64(count) { bits += 2 }
        halfBits = bits / 2
        mask = (UInt64(1) << halfBits) - 1
    }

    @inline(__always)
    func round(_ x: UInt64) -> UInt64 {
        var l = x >> halfBits, r = x & mask
        for i in 0..<4 as Range<UInt64> {
            let f = hash(seed, r, i) & mask
            (l, r) = (r, l ^ f)
        }
        return (l << halfBits) | r
    }

    /// The image of `i` (0 <= i < count).
    @inline(__always)
    public func callAsFunction(_ i: Int) -> Int {
        var x = round(UInt64(i))
        while x >= UInt64(count) { x = round(x) }
        return Int(x)
    }
}

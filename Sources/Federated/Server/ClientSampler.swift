import Tensors

/// Uniform sampling of K distinct clients out of N without replacement, keyed
/// by `(seed, round, stream)` so a run repeats exactly on any world size.
///
/// A partial Fisher-Yates shuffle over a sparse swap table: O(K) time and
/// memory whatever N is (Flower scans all N clients every round).
public enum ClientSampler {
    public static func sample(_ k: Int, of n: Int, seed: UInt64, round: Int, stream: UInt64 = 0) -> [Int] {
        precondition(k >= 0 && k <= n, "cannot sample \(k) of \(n)")
        var rng = StrataRNG(seed: StrataRNG.hash(seed: seed, stream: 0x5A4D_0000 | stream, index: UInt64(round)))
        var swapped: [Int: Int] = [:]
        swapped.reserveCapacity(2 * k)
        var out: [Int] = []
        out.reserveCapacity(k)
        for i in 0..<k {
            // j uniform in i..<n (rejection keeps it exactly uniform).
            let span = UInt64(n - i)
            let limit = UInt64.max - UInt64.max % span
            var r = rng.next()
            while r >= limit { r = rng.next() }
            let j = i + Int(r % span)
            let vi = swapped[i] ?? i, vj = swapped[j] ?? j
            swapped[j] = vi
            swapped[i] = vj
            out.append(vj)
        }
        return out
    }
}

/// Epoch sampling's state: the current epoch's permutation of the pool (made
/// once an epoch, O(N), so O(K) a round amortised), taken K at a time.
struct EpochOrder {
    private var key: (epoch: Int, stream: UInt64, n: Int)?
    private var order: [Int] = []

    /// The clients of `round` (1-based): epoch (round - 1) / ceil(n / k), its
    /// positions [j k, (j + 1) k) with j the round's place in the epoch.
    mutating func round(_ round: Int, count k: Int, of n: Int, seed: UInt64, stream: UInt64) -> [Int] {
        let k = max(1, min(k, n)), perEpoch = (n + k - 1) / k
        let epoch = (round - 1) / perEpoch, j = (round - 1) % perEpoch
        if key == nil || key! != (epoch, stream, n) {
            order = ClientSampler.sample(n, of: n, seed: seed, round: epoch, stream: 0xE90C_0000 ^ stream)
            key = (epoch, stream, n)
        }
        return Array(order[(j * k)..<min((j + 1) * k, n)])
    }
}

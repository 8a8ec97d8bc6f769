import Foundation
import Tensors

/// What a device does to its update before it uploads it (RF^2's per-tier
/// communication optimizations). Works on the packed update the runtime moves.
public enum UpdateCompression {
    /// Zeroes exactly round(fraction * n) of the n values, a uniformly random
    /// subset (partial Fisher-Yates over the indices); returns how many.
    @discardableResult
    public static func prune(_ x: UnsafeMutablePointer<Float>, count n: Int, fraction: Double, rng: inout StrataRNG) -> Int {
        let drop = min(n, max(0, Int((fraction * Double(n)).rounded())))
        guard drop > 0 else { return 0 }
        if drop == n { for i in 0..<n { x[i] = 0 }; return n }
        var idx = Array(0..<n)
        for i in 0..<drop {
            let j = i + rng.nextIndex(below: n - i)
            idx.swapAt(i, j)
            x[idx[i]] = 0
        }
        return drop
    }

    /// Stochastic quantization to 2^bits levels evenly spaced on [min, max] of
    /// the values: each value goes to one of its two neighbouring levels with
    /// the probabilities that keep it unbiased, so |q - x| < (max - min) /
    /// (2^bits - 1). The device would send the level indices and (min, max).
    public static func quantize(_ x: UnsafeMutablePointer<Float>, count n: Int, bits: Int, rng: inout StrataRNG) {
        guard n > 0, bits > 0, bits < 32 else { return }
        var lo = x[0], hi = x[0]
        for i in 1..<n { lo = min(lo, x[i]); hi = max(hi, x[i]) }
        guard hi > lo else { return }
        let levels = Double((1 << bits) - 1)
        let step = Double(hi - lo) / levels
        for i in 0..<n {
            let pos = Double(x[i] - lo) / step
            let f = pos.rounded(.down)
            let k = min(levels, f + (rng.nextUnit() < pos - f ? 1 : 0))
            x[i] = Float(Double(lo) + k * step)
        }
    }
}

import Foundation
import Tensors

/// Distill-CF's multi-draw Gumbel-softmax, as the paper's `multi_gumbel_sampling`:
/// each synthetic user (a row of logits z over the items) is sampled `draws`
/// times, y_k = softmax((z + g_k)/τ) with fresh Gumbel noise g_k, and the
/// summary row is min(Σ_k y_k, 1) (the paper's hard-tanh; sums are positive).
/// At a low temperature each draw is close to one item, so a row holds about
/// `draws` items.
///
/// Noise: exp(g/τ) = E^(-1/τ) with E ~ Exp(1) is drawn once into a pool of
/// `poolSize` values; each (step, row, draw) reads a window of `items`
/// consecutive values at a seeded random offset. One multiply per entry
/// instead of two logarithms and an exponential: the draws cost less than the
/// kernel solve. Windows of different draws may overlap in the pool; each
/// window is itself a sample of independent variates.
public struct GumbelDraws: Sendable {
    public let temperature: Double
    public let draws: Int
    public let seed: UInt64
    let pool: [Double]

    public init(temperature: Double, draws: Int, items: Int, seed: UInt64, poolSize: Int = 1 << 21) {
        self.temperature = temperature
        self.draws = draws
        self.seed = seed
        let size = max(poolSize, 4 * items)
        pool = (0..<size).map { i in
            // U in (0, 1): E = -log U, exp(g/τ) = E^(-1/τ).
            let u = (Double(StrataRNG.hash(seed: seed, stream: 0x9_0b1e, index: UInt64(i)) >> 11) + 0.5) / Double(1 << 53)
            return pow(-log(u), -1 / temperature)
        }
    }

    @inline(__always) func offset(step: Int, row: Int, draw: Int, items: Int) -> Int {
        let h = StrataRNG.hash(seed: seed &+ UInt64(step), stream: UInt64(row), index: UInt64(draw))
        return Int(h % UInt64(pool.count - items))
    }

    /// The row's weights exp((z - max z)/τ) into `w`.
    @inline(__always) func weights(_ z: UnsafePointer<Double>, items: Int, into w: UnsafeMutablePointer<Double>) {
        var top = -Double.infinity
        for i in 0..<items { top = max(top, z[i]) }
        for i in 0..<items { w[i] = exp((z[i] - top) / temperature) }
    }

    /// Summary rows (before the clip at 1) of logits rows `rows` (global row
    /// indices seed the noise) into `out` `[rows.count x items]`.
    public func forward(logits: UnsafePointer<Double>, rows: Range<Int>, items: Int, step: Int,
                        into out: UnsafeMutablePointer<Double>) {
        let w = UnsafeMutablePointer<Double>.allocate(capacity: items)
        defer { w.deallocate() }
        pool.withUnsafeBufferPointer { poolp in
            for (r, row) in rows.enumerated() {
                weights(logits + r * items, items: items, into: w)
                let s = out + r * items
                s.initialize(repeating: 0, count: items)
                for k in 0..<draws {
                    let t = poolp.baseAddress! + offset(step: step, row: row, draw: k, items: items)
                    var total = 0.0
                    for i in 0..<items { total += w[i] * t[i] }
                    let inv = 1 / total
                    for i in 0..<items { s[i] += w[i] * t[i] * inv }
                }
            }
        }
    }

    /// The logits' gradient from the gradient of the summary before the clip:
    /// per draw dz += (1/τ) y ⊙ (g - <g, y>).
    public func backward(logits: UnsafePointer<Double>, rows: Range<Int>, items: Int, step: Int,
                         gradient g: UnsafePointer<Double>, into dz: UnsafeMutablePointer<Double>) {
        let w = UnsafeMutablePointer<Double>.allocate(capacity: items)
        let y = UnsafeMutablePointer<Double>.allocate(capacity: items)
        defer { w.deallocate(); y.deallocate() }
        pool.withUnsafeBufferPointer { poolp in
            for (r, row) in rows.enumerated() {
                weights(logits + r * items, items: items, into: w)
                let gr = g + r * items, d = dz + r * items
                d.initialize(repeating: 0, count: items)
                for k in 0..<draws {
                    let t = poolp.baseAddress! + offset(step: step, row: row, draw: k, items: items)
                    var total = 0.0
                    for i in 0..<items { y[i] = w[i] * t[i]; total += y[i] }
                    let inv = 1 / total
                    var dot = 0.0
                    for i in 0..<items { y[i] *= inv; dot += gr[i] * y[i] }
                    let scale = 1 / temperature
                    for i in 0..<items { d[i] += scale * y[i] * (gr[i] - dot) }
                }
            }
        }
    }
}

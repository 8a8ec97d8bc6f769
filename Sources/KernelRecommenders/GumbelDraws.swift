import Foundation
import Tensors

/// Distill-CF's multi-draw Gumbel-softmax, as the paper's `multi_gumbel_sampling`:
/// each synthetic user (a row of logits z over the items) is sampled `draws`
/// times, y_k = softmax((z + g_k)/τ) with fresh Gumbel noise g_k, and the
/// summary row is min(Σ_k y_k, 1) (the paper's hard-tanh; sums are positive).
/// At a low temperature each draw is close to one item, so a row holds about
/// `draws` items.
///
/// Noise: every (step, row, draw, item) has its own variate, drawn fresh as
/// the released code draws a new key each step: a counter-based hash of the
/// four gives U in (0, 1), and exp(g/τ) = E^(-1/τ) with E = -log U ~ Exp(1).
/// Being a function of its coordinates, the backward pass recomputes the
/// forward's noise exactly and any world size draws the same values.
public struct GumbelDraws: Sendable {
    public let temperature: Double
    public let draws: Int
    public let seed: UInt64

    public init(temperature: Double, draws: Int, items: Int, seed: UInt64) {
        self.temperature = temperature
        self.draws = draws
        self.seed = seed
    }

    /// exp(g/τ) for `items` items of one (step, row, draw) into `t`.
    @inline(__always) public func noise(step: Int, row: Int, draw: Int, items: Int, into t: UnsafeMutablePointer<Double>) {
        let stream = StrataRNG.hash(seed: seed &+ UInt64(step), stream: UInt64(row), index: UInt64(draw))
        let power = -1 / temperature
        for i in 0..<items {
            let u = (Double(StrataRNG.hash(seed: stream, stream: 0x9_0b1e, index: UInt64(i)) >> 11) + 0.5) / Double(1 << 53)
            t[i] = exp(power * log(-log(u)))
        }
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
        let t = UnsafeMutablePointer<Double>.allocate(capacity: items)
        defer { w.deallocate(); t.deallocate() }
        for (r, row) in rows.enumerated() {
            weights(logits + r * items, items: items, into: w)
            let s = out + r * items
            s.initialize(repeating: 0, count: items)
            for k in 0..<draws {
                noise(step: step, row: row, draw: k, items: items, into: t)
                var total = 0.0
                for i in 0..<items { total += w[i] * t[i] }
                let inv = 1 / total
                for i in 0..<items { s[i] += w[i] * t[i] * inv }
            }
        }
    }

    /// The logits' gradient from the gradient of the summary before the clip:
    /// per draw dz += (1/τ) y ⊙ (g - <g, y>).
    public func backward(logits: UnsafePointer<Double>, rows: Range<Int>, items: Int, step: Int,
                         gradient g: UnsafePointer<Double>, into dz: UnsafeMutablePointer<Double>) {
        let w = UnsafeMutablePointer<Double>.allocate(capacity: items)
        let y = UnsafeMutablePointer<Double>.allocate(capacity: items)
        let t = UnsafeMutablePointer<Double>.allocate(capacity: items)
        defer { w.deallocate(); y.deallocate(); t.deallocate() }
        for (r, row) in rows.enumerated() {
            weights(logits + r * items, items: items, into: w)
            let gr = g + r * items, d = dz + r * items
            d.initialize(repeating: 0, count: items)
            for k in 0..<draws {
                noise(step: step, row: row, draw: k, items: items, into: t)
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

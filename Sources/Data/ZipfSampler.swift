import Foundation
import Tensors

/// Zipf-distributed ranks in `1...n` with P(k) ∝ k^(-s), by rejection-inversion
/// (Hörmann and Derflinger 1996): O(1) per draw, no table, any n.
///
/// ```
/// var g = StrataRNG(seed: seed)
/// let z = ZipfSampler(count: 1_000_000, exponent: 1.05)
/// z.sample(&g)   // 1 is the most likely rank
/// ```
public struct ZipfSampler: Sendable {
    let n: Double
    let s: Double
    let hIntegralX1: Double
    let hIntegralN: Double
    let threshold: Double

    public init(count: Int, exponent: Double) {
        // Exponent 0 is the uniform law, which the same sampler draws exactly
        // (h = 1: every rank's interval has the same width, all accepted).
        precondition(count > 0 && exponent >= 0, "Zipf needs count > 0 and exponent >= 0")
        n = Double(count); s = exponent
        hIntegralX1 = Self.hIntegral(1.5, s) - 1
        hIntegralN = Self.hIntegral(n + 0.5, s)
        threshold = 2 - Self.hIntegralInverse(Self.hIntegral(2.5, s) - Self.h(2, s), s)
    }

    /// Exponent 0: every rank equally likely.
    var isUniform: Bool { s == 0 }

    /// A rank in 1...n.
    @inline(__always)
    public func sample(_ g: inout StrataRNG) -> Int {
        // The uniform law directly: the rejection path would accept on the
        // first draw anyway, after a log and an exp per id (most of a
        // multi-hot batch's generation time).
        if s == 0 { return min(1 + Int(g.nextUnit() * n), Int(n)) }
        while true {
            let u = hIntegralN + g.nextUnit() * (hIntegralX1 - hIntegralN)
            let x = Self.hIntegralInverse(u, s)
            var k = (x + 0.5).rounded(.down)
            if k < 1 { k = 1 } else if k > n { k = n }
            if k - x <= threshold || u >= Self.hIntegral(k + 0.5, s) - Self.h(k, s) {
                return Int(k)
            }
        }
    }

    @inline(__always) static func h(_ x: Double, _ s: Double) -> Double { exp(-s * log(x)) }

    /// ∫ x^-s = (x^(1-s) - 1) / (1 - s), stable near s = 1.
    @inline(__always) static func hIntegral(_ x: Double, _ s: Double) -> Double {
        let lx = log(x)
        return helper2((1 - s) * lx) * lx
    }

    @inline(__always) static func hIntegralInverse(_ x: Double, _ s: Double) -> Double {
        var t = x * (1 - s)
        if t < -1 { t = -1 }
        return exp(helper1(t) * x)
    }

    /// log1p(x) / x
    @inline(__always) static func helper1(_ x: Double) -> Double {
        abs(x) > 1e-8 ? log1p(x) / x : 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x))
    }

    /// expm1(x) / x
    @inline(__always) static func helper2(_ x: Double) -> Double {
        abs(x) > 1e-8 ? expm1(x) / x : 1 + x * 0.5 * (1 + x * (1.0 / 3) * (1 + 0.25 * x))
    }
}

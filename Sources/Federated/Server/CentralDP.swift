import Foundation
import Tensors

/// Central differential privacy at the server (Flower's
/// `DifferentialPrivacyServerSideFixedClipping`, McMahan et al. 2018's DP-FedAvg):
/// each client update is clipped to L2 norm `clip`, the clipped updates are
/// averaged with EQUAL weights (sample-count weights would make one client's
/// influence depend on its data size, breaking the sensitivity bound), and
/// Gaussian noise of std `noiseMultiplier * clip / m` is added to the mean of
/// the m updates, i.e. `noiseMultiplier * clip` on their sum.
public struct CentralDP: Sendable, Equatable, Codable {
    public var clip: Double
    public var noiseMultiplier: Double
    public var delta: Double

    public init(clip: Double, noiseMultiplier: Double, delta: Double) {
        self.clip = clip
        self.noiseMultiplier = noiseMultiplier
        self.delta = delta
    }

    /// Scales `x` (n floats) to norm at most `clip`; returns the norm before.
    @discardableResult
    public func clipInPlace(_ x: UnsafeMutablePointer<Float>, count n: Int) -> Double {
        var s = 0.0
        for i in 0..<n { s += Double(x[i]) * Double(x[i]) }
        let norm = s.squareRoot()
        if norm > clip {
            let f = Float(clip / norm)
            for i in 0..<n { x[i] *= f }
        }
        return norm
    }

    /// Adds N(0, (noiseMultiplier * clip / m)^2) to each of n floats of the
    /// mean of m updates, keyed by (seed, round).
    public func addNoise(_ mean: UnsafeMutablePointer<Float>, count n: Int, updates m: Int, seed: UInt64, round: Int) {
        let std = Float(noiseMultiplier * clip / Double(max(m, 1)))
        let stream = 0xD9_0000_0000 | UInt64(round)
        for i in 0..<n { mean[i] += std * StrataRNG.normal(seed: seed, stream: stream, index: UInt64(i)) }
    }
}

/// Privacy accounting by Renyi DP for the subsampled Gaussian mechanism
/// (Mironov, Talwar, Zhang 2019, integer orders; the formula TF Privacy's
/// `compute_rdp` uses for integer alpha):
///
///     A_alpha = sum_{k=0..alpha} C(alpha,k) (1-q)^(alpha-k) q^k exp((k^2 - k) / (2 sigma^2))
///     RDP(alpha) = T * log(A_alpha) / (alpha - 1)
///     epsilon = min_alpha RDP(alpha) + log(1/delta) / (alpha - 1)
///
/// with q = K/N the sampling rate and T the rounds. The bound is for Poisson
/// sampling at rate q; the runtime samples exactly K without replacement, for
/// which this is the customary approximation (as DP-FedAvg reports do). It
/// is computed in log space, orders 2...256.
public enum RDPAccountant {
    public static let orders = Array(2...256)

    static func logAdd(_ a: Double, _ b: Double) -> Double {
        if a == -.infinity { return b }
        if b == -.infinity { return a }
        let m = max(a, b)
        return m + log(exp(a - m) + exp(b - m))
    }

    /// log A_alpha for one round.
    public static func logA(q: Double, sigma: Double, alpha: Int) -> Double {
        if q >= 1 { return Double(alpha * alpha - alpha) / (2 * sigma * sigma) }
        var acc = -Double.infinity
        for k in 0...alpha {
            let logBinom = lgamma(Double(alpha + 1)) - lgamma(Double(k + 1)) - lgamma(Double(alpha - k + 1))
            let term = logBinom + Double(alpha - k) * log1p(-q) + (k == 0 ? 0 : Double(k) * log(q))
                + Double(k * k - k) / (2 * sigma * sigma)
            acc = logAdd(acc, term)
        }
        return acc
    }

    /// The epsilon after `rounds` rounds at sampling rate q, noise multiplier sigma.
    public static func epsilon(q: Double, sigma: Double, rounds: Int, delta: Double) -> Double {
        guard sigma > 0, rounds > 0, q > 0 else { return rounds > 0 && q > 0 ? .infinity : 0 }
        var best = Double.infinity
        for a in orders {
            let rdp = Double(rounds) * logA(q: q, sigma: sigma, alpha: a) / Double(a - 1)
            best = min(best, rdp + log(1 / delta) / Double(a - 1))
        }
        return best
    }
}

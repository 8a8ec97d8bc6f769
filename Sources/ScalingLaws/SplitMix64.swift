import Foundation

/// A small seeded generator (SplitMix64) so bootstrap intervals, and the tests' noise,
/// are the same on every machine and every run: a fits.json must be reproducible.
///
/// Index and Gaussian draws are implemented here rather than through the standard
/// library's `random(in:using:)`, whose algorithm is not promised to stay fixed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1), 53 bits.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform in 0..<bound (multiply-high; the bias is below 2^-64 * bound).
    public mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0, "nextIndex(below:) needs a positive bound")
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// Standard normal (Box-Muller; one of the pair is discarded for simplicity).
    public mutating func nextGaussian() -> Double {
        let u1 = 1 - nextUnit() // (0, 1]: log stays finite
        let u2 = nextUnit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Deterministic random numbers, stateless by construction.
///
/// Initial values are defined per element as a hash of `(seed, stream, index)`,
/// so any rank can initialise any subset of rows in any order and get the same
/// numbers a single process would (SYSTEM.md, "Equivalence"). `StrataRNG` is the
/// ordinary sequential SplitMix64 for tests, data generation and bootstraps:
/// the project's one seeded generator. Its draws are written out here, not
/// taken from the standard library's `random(in:using:)`, whose algorithm is
/// not promised to stay fixed, so seeded data and fits repeat everywhere.
public struct StrataRNG: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    @inlinable @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return StrataRNG.mix(state)
    }

    /// Uniform in [0, 1), 53 bits.
    @inlinable @inline(__always)
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in 0..<bound (multiply-high; the bias is below 2^-64 * bound).
    @inlinable
    public mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0, "nextIndex(below:) needs a positive bound")
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// A standard normal (Box-Muller; the second of the pair is not kept).
    @inlinable
    public mutating func nextNormal() -> Double {
        let u1 = max(nextUnit(), 1e-300), u2 = nextUnit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// SplitMix64's finaliser: a bijective avalanche of 64 bits.
    @inlinable @inline(__always)
    public static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 64 random bits that depend only on the three keys.
    @inline(__always)
    public static func hash(seed: UInt64, stream: UInt64, index: UInt64) -> UInt64 {
        let a = mix(seed &+ 0x9E37_79B9_7F4A_7C15)
        let b = mix(a ^ (stream &* 0xD1B5_4A32_D192_ED03))
        return mix(b ^ (index &* 0x8CB9_2BA7_2F3D_8DD7) &+ 0x9E37_79B9_7F4A_7C15)
    }

    /// Uniform in [0, 1) with 24 bits (every value exactly representable).
    @inline(__always)
    public static func uniform(seed: UInt64, stream: UInt64, index: UInt64) -> Float {
        Float(hash(seed: seed, stream: stream, index: index) >> 40) * 0x1p-24
    }

    /// Standard normal by Box-Muller on the two 32-bit halves of one hash.
    @inline(__always)
    public static func normal(seed: UInt64, stream: UInt64, index: UInt64) -> Float {
        let h = hash(seed: seed, stream: stream, index: index)
        let u1 = (Double(h >> 32) + 0.5) * 0x1p-32      // (0, 1): log is finite
        let u2 = Double(h & 0xFFFF_FFFF) * 0x1p-32
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}

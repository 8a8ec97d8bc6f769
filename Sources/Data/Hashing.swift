import Foundation

/// Stateless mixing and a small seeded generator: every random draw of the
/// synthetic data is a pure function of (seed, sample or session, slot).
@inline(__always)
func mix64(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

@inline(__always)
func hash(_ a: UInt64, _ b: UInt64, _ c: UInt64 = 0) -> UInt64 {
    mix64(mix64(mix64(a) ^ b) ^ c)
}

/// A uniform double in [0, 1) from 53 random bits.
@inline(__always)
func unit(_ h: UInt64) -> Double { Double(h >> 11) * 0x1.0p-53 }

/// A uniform double in [-1, 1).
@inline(__always)
func signedUnit(_ h: UInt64) -> Double { 2 * unit(h) - 1 }

/// SplitMix64 seeded from a hash: a deterministic stream of draws.
struct SplitMix64 {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    @inline(__always)
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func nextUnit() -> Double { unit(next()) }
    /// A standard normal (Box-Muller).
    mutating func nextNormal() -> Double {
        let u1 = max(nextUnit(), 1e-300), u2 = nextUnit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

/// FNV-1a 64 over bytes.
public func fnv1a64(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
    var h = seed
    for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
    return h
}

import Foundation
import Tensors

/// Stateless mixing and a small seeded generator: every random draw of the
/// synthetic data is a pure function of (seed, sample or session, slot).
@inline(__always)
func mix64(_ x: UInt64) -> UInt64 { StrataRNG.mix(x &+ 0x9E37_79B9_7F4A_7C15) }

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

/// FNV-1a 64 over bytes.
public func fnv1a64(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
    var h = seed
    for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
    return h
}

import Foundation

/// The law itself, `L(x) = a * x^(-b) + c`: `b` is the decay exponent and `c` the
/// irreducible loss that more `x` cannot remove (the asymptote).
///
/// Kept separate from the fit so a coordinator can evaluate or store a law without
/// carrying the statistics around it.
public struct PowerLaw: Codable, Sendable, Equatable {
    public var a: Double
    public var b: Double
    public var c: Double

    public init(a: Double, b: Double, c: Double) {
        self.a = a
        self.b = b
        self.c = c
    }

    /// `a * x^(-b) + c`. Written as `a * exp(-b ln x)` so that a zero `a` gives
    /// exactly `c` even where `x^(-b)` would overflow.
    public func callAsFunction(_ x: Double) -> Double {
        a == 0 ? c : a * exp(-b * log(x)) + c
    }
}

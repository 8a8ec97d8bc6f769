import Foundation

/// The neural tangent kernel of a one-hidden-layer ReLU network (the paper's
/// ∞-AE: `stax.Dense(W_std=√2, b_std=0.1)`, ReLU, Dense, NTK parameterisation),
/// as a map from a Gram entry `<a,b>` and the two squared norms to `K(a,b)`:
///
///     Σ = σw²<a,b>/d + σb²,  q_a = σw²<a,a>/d + σb²,  ρ = Σ/√(q_a q_b) ∈ [-1, 1]
///     θ = arccos ρ,  κ1 = √(q_a q_b)(sin θ + (π-θ) ρ)/2π,  κ0 = (π-θ)/2π
///     K(a,b) = σw² κ1 + σb² + σw² κ0 Σ
///
/// On the diagonal (ρ = 1) this is `σw² q_a + σb²`, smooth in `a`, while the
/// generic form's derivative in ρ is infinite there; `backward` uses the
/// diagonal form for diagonal entries.
public struct NTK: Sendable, Equatable {
    public var sigmaW2: Double
    public var sigmaB2: Double
    /// The input width (the number of items).
    public var inputs: Int

    public init(inputs: Int, sigmaW2: Double = 2, sigmaB2: Double = 0.01) {
        self.inputs = inputs
        self.sigmaW2 = sigmaW2
        self.sigmaB2 = sigmaB2
    }

    /// `q = σw² s/d + σb²` of a squared norm (or Gram entry) `s`.
    @inline(__always) public func scaled(_ s: Double) -> Double { sigmaW2 * s / Double(inputs) + sigmaB2 }

    /// K from a Gram entry and the two rows' squared norms.
    @inline(__always) public func value(dot: Double, normA: Double, normB: Double) -> Double {
        let sigma = scaled(dot), qa = scaled(normA), qb = scaled(normB)
        let r = (qa * qb).squareRoot()
        let rho = min(max(sigma / r, -1), 1)
        let theta = acos(rho)
        let k1 = r * (sin(theta) + (Double.pi - theta) * rho) / (2 * Double.pi)
        let k0 = (Double.pi - theta) / (2 * Double.pi)
        return sigmaW2 * k1 + sigmaB2 + sigmaW2 * k0 * sigma
    }

    /// The diagonal entry `K(a,a)` from the squared norm.
    @inline(__always) public func diagonal(norm: Double) -> Double { sigmaW2 * scaled(norm) + sigmaB2 }

    /// Partial derivatives of `value` in the Gram entry and the two squared
    /// norms. Off the diagonal only; `sin θ` is floored at 1e-9 so two equal
    /// rows give a large, finite slope instead of infinity.
    @inline(__always)
    public func backward(dot: Double, normA: Double, normB: Double) -> (dDot: Double, dNormA: Double, dNormB: Double) {
        let sigma = scaled(dot), qa = scaled(normA), qb = scaled(normB)
        let r = (qa * qb).squareRoot()
        let raw = sigma / r
        let clipped = raw <= -1 || raw >= 1
        let rho = min(max(raw, -1), 1)
        let theta = acos(rho)
        let k0 = (Double.pi - theta) / (2 * Double.pi)
        let j = sin(theta) + (Double.pi - theta) * rho
        // ∂K/∂ρ at fixed r and Σ: σw² r κ0 (from κ1: d(sin θ + (π-θ)ρ)/dρ = π-θ) + σw² Σ/(2π sin θ) (from κ0).
        let dRho = clipped ? 0 : sigmaW2 * r * k0 + sigmaW2 * sigma / (2 * Double.pi * max(sin(theta), 1e-9))
        let dSigma = sigmaW2 * k0 + dRho / r
        let dR = sigmaW2 * j / (2 * Double.pi) - dRho * sigma / (r * r)
        let w = sigmaW2 / Double(inputs)
        // r = √(qa qb): ∂r/∂qa = r / (2 qa).
        return (dSigma * w, dR * r / (2 * qa) * w, dR * r / (2 * qb) * w)
    }

    /// Maps a block of Gram entries in place: `g[i * ld + j]` becomes
    /// `K(a_i, b_j)`; with `diagonalAt` set, entry (i, i + diagonalAt) is the
    /// diagonal form (the block's row i is column i + diagonalAt's row).
    public func map(_ g: UnsafeMutablePointer<Double>, rows: Int, cols: Int, ld: Int,
                    normsA: UnsafePointer<Double>, normsB: UnsafePointer<Double>, diagonalAt: Int? = nil) {
        for i in 0..<rows {
            let row = g + i * ld
            for j in 0..<cols {
                if let d = diagonalAt, j == i + d { row[j] = diagonal(norm: normsA[i]); continue }
                row[j] = value(dot: row[j], normA: normsA[i], normB: normsB[j])
            }
        }
    }
}

/// DLRM's pairwise dot interaction.
///
/// Input: F feature vectors per sample, `x [B x F x D]`, feature 0 being the
/// bottom-MLP output. Output `[B x (D + F(F-1)/2)]`: feature 0 itself, then the
/// strict lower triangle of the Gram matrix `Z = X X^T`, row by row
/// (`for i in 0..<F { for j in 0..<i { Z[i][j] } }`), as the DLRM reference's
/// `interact_features` with `arch_interaction_itself = False`.
public struct DotInteraction: Sendable {
    public let features: Int  // F
    public let dim: Int       // D

    public init(features: Int, dim: Int) {
        self.features = features
        self.dim = dim
    }

    public var pairs: Int { features * (features - 1) / 2 }
    public var outputWidth: Int { dim + pairs }

    public func forward(x: UnsafePointer<Float>,           // [B x F x D]
                        out: UnsafeMutablePointer<Float>,  // [B x (D + F(F-1)/2)]
                        batch: Int) {
        let F = features, D = dim, W = outputWidth
        for b in 0..<batch {
            let xb = x + b * F * D, ob = out + b * W
            ob.update(from: xb, count: D)
            var p = D
            for i in 0..<F {
                let xi = xb + i * D
                for j in 0..<i {
                    let xj = xb + j * D
                    ob[p] = Self.dot(xi, xj, D)
                    p += 1
                }
            }
        }
    }

    /// dx [B x F x D] (overwritten) from dOut [B x W]: dZ_ij flows to x_i as
    /// dZ_ij x_j and to x_j as dZ_ij x_i.
    /// Dot product in 8-wide SIMD lanes (strict floating point keeps the
    /// compiler from vectorising a scalar sum), then the tail.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>()
        var d = 0
        while d + 8 <= n {
            let va = UnsafeRawPointer(a + d).loadUnaligned(as: SIMD8<Float>.self)
            let vb = UnsafeRawPointer(b + d).loadUnaligned(as: SIMD8<Float>.self)
            acc += va * vb
            d += 8
        }
        var s = acc.sum()
        while d < n { s += a[d] * b[d]; d += 1 }
        return s
    }

    /// dxi += g * xj and dxj += g * xi, 8 lanes at a time.
    @inline(__always)
    static func axpy2(_ g: Float, _ xi: UnsafePointer<Float>, _ xj: UnsafePointer<Float>,
                      _ dxi: UnsafeMutablePointer<Float>, _ dxj: UnsafeMutablePointer<Float>, _ n: Int) {
        let vg = SIMD8<Float>(repeating: g)
        var d = 0
        while d + 8 <= n {
            let a = UnsafeRawPointer(xi + d).loadUnaligned(as: SIMD8<Float>.self)
            let b = UnsafeRawPointer(xj + d).loadUnaligned(as: SIMD8<Float>.self)
            let da = UnsafeRawPointer(dxi + d).loadUnaligned(as: SIMD8<Float>.self)
            let db = UnsafeRawPointer(dxj + d).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(dxi + d).storeBytes(of: da + vg * b, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(dxj + d).storeBytes(of: db + vg * a, as: SIMD8<Float>.self)
            d += 8
        }
        while d < n {
            dxi[d] += g * xj[d]
            dxj[d] += g * xi[d]
            d += 1
        }
    }

    public func backward(x: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                         dx: UnsafeMutablePointer<Float>, batch: Int) {
        let F = features, D = dim, W = outputWidth
        guard D % 8 == 0 else { return backwardPairs(x: x, dOut: dOut, dx: dx, batch: batch) }
        for b in 0..<batch {
            let xb = x + b * F * D, gb = dOut + b * W, dxb = dx + b * F * D
            // dx_i = sum over j != i of dZ_ij x_j (dZ symmetric: the lower
            // triangle read both ways), accumulated 8 lanes at a time in a
            // register and stored once: no read-modify-write of dx per pair.
            for i in 0..<F {
                var c = 0
                while c < D {
                    var acc = i == 0 ? UnsafeRawPointer(gb + c).loadUnaligned(as: SIMD8<Float>.self) : SIMD8<Float>()
                    let rowI = D + i * (i - 1) / 2        // dZ_ij, j < i
                    for j in 0..<i {
                        acc += SIMD8(repeating: gb[rowI + j]) * UnsafeRawPointer(xb + j * D + c).loadUnaligned(as: SIMD8<Float>.self)
                    }
                    var j = i + 1
                    while j < F {                         // dZ_ji, j > i
                        acc += SIMD8(repeating: gb[D + j * (j - 1) / 2 + i]) * UnsafeRawPointer(xb + j * D + c).loadUnaligned(as: SIMD8<Float>.self)
                        j += 1
                    }
                    UnsafeMutableRawPointer(dxb + i * D + c).storeBytes(of: acc, as: SIMD8<Float>.self)
                    c += 8
                }
            }
        }
    }

    /// The same for any D: each pair's gradient added to both vectors.
    func backwardPairs(x: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                       dx: UnsafeMutablePointer<Float>, batch: Int) {
        let F = features, D = dim, W = outputWidth
        for b in 0..<batch {
            let xb = x + b * F * D, gb = dOut + b * W, dxb = dx + b * F * D
            dxb.update(from: gb, count: D)
            (dxb + D).update(repeating: 0, count: (F - 1) * D)
            var p = D
            for i in 0..<F {
                let xi = xb + i * D, dxi = dxb + i * D
                for j in 0..<i {
                    let g = gb[p]
                    p += 1
                    let xj = xb + j * D, dxj = dxb + j * D
                    Self.axpy2(g, xi, xj, dxi, dxj, D)
                }
            }
        }
    }
}

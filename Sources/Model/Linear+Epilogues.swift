import Tensors

/// The elementwise work around `Linear`'s GEMMs, one pass over memory each:
///
///     forward   y[B x O] = act(y + b)              (after a beta = 0 GEMM)
///     backward  dy = y > 0 ? dy : 0; db += colsum(dy)   (mask and bias gradient fused)
///
/// Why these and not BLAS: seeding `y` with bias rows before a beta = 1 GEMM
/// and then a ReLU is two passes over y besides the GEMM; a bias gradient as
/// `gemv(dy^T, ones)` is one more read of dy after the mask already had it in
/// registers. Fused, each direction touches `[B x O]` once. At the bottom MLP's 13x512 layer the GEMMs are so cheap
/// that separate passes would be most of the layer's time (docs/benchmarks/performance.md, bench gemm).
///
/// The loops go 16 floats at a time (`SIMD16<Float>` through raw pointers, so
/// no bounds checks), then a scalar tail for `O % 16`. Every output element
/// sees the same operations in the same order as the scalar references below
/// (`dBias[o]` still sums rows 0, 1, ..., B-1), so results are bitwise equal
/// to them; `LinearTests.testEpiloguesMatchReferences` holds that.
extension Linear {
    /// y[b, o] = y[b, o] + bias[o], then max(., 0) when `relu`.
    @inline(__always)
    package static func addBias(_ y: UnsafeMutablePointer<Float>,   // [B x O]
                        bias: UnsafePointer<Float>,         // [O]
                        rows B: Int, columns O: Int, relu: Bool) {
        let vectorEnd = O & ~15
        for b in 0..<B {
            let row = y + b * O
            var o = 0
            if relu {
                while o < vectorEnd {
                    let v = load16(row + o) + load16(bias + o)
                    // `v <= 0 -> 0` is Swift.max(v, 0) lane by lane (NaN stays
                    // NaN, -0 becomes +0); it compiles to cmpleps + andps, where
                    // pointwiseMax went through the stack lane by lane.
                    store16(v.replacing(with: 0, where: v .<= 0), row + o)
                    o += 16
                }
                while o < O { row[o] = max(row[o] + bias[o], 0); o += 1 }
            } else {
                while o < vectorEnd {
                    store16(load16(row + o) + load16(bias + o), row + o)
                    o += 16
                }
                while o < O { row[o] += bias[o]; o += 1 }
            }
        }
    }

    /// With `relu`: dy = y > 0 ? dy : 0 in place. Then dBias += colsum(dy),
    /// in the same pass (dBias [O] stays in L1 while dy streams by).
    @inline(__always)
    package static func maskAndSumColumns(y: UnsafePointer<Float>,          // [B x O]
                                  dy: UnsafeMutablePointer<Float>,  // [B x O]
                                  dBias: UnsafeMutablePointer<Float>,  // [O]
                                  rows B: Int, columns O: Int, relu: Bool) {
        let vectorEnd = O & ~15
        for b in 0..<B {
            let yRow = y + b * O, dyRow = dy + b * O
            var o = 0
            if relu {
                while o < vectorEnd {
                    let v = load16(yRow + o)
                    let g = load16(dyRow + o).replacing(with: 0, where: .!(v .> 0))
                    store16(g, dyRow + o)
                    store16(load16(dBias + o) + g, dBias + o)
                    o += 16
                }
                while o < O {
                    let g = yRow[o] > 0 ? dyRow[o] : 0
                    dyRow[o] = g
                    dBias[o] += g
                    o += 1
                }
            } else {
                while o < vectorEnd {
                    store16(load16(dBias + o) + load16(dyRow + o), dBias + o)
                    o += 16
                }
                while o < O { dBias[o] += dyRow[o]; o += 1 }
            }
        }
    }

    /// The scalar definition of `addBias`, for tests of the fast path.
    package static func addBiasReference(_ y: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>,
                                 rows B: Int, columns O: Int, relu: Bool) {
        for b in 0..<B {
            for o in 0..<O {
                let v = y[b * O + o] + bias[o]
                y[b * O + o] = relu ? max(v, 0) : v
            }
        }
    }

    /// The scalar definition of `maskAndSumColumns`, for tests of the fast path.
    package static func maskAndSumColumnsReference(y: UnsafePointer<Float>, dy: UnsafeMutablePointer<Float>,
                                           dBias: UnsafeMutablePointer<Float>,
                                           rows B: Int, columns O: Int, relu: Bool) {
        for b in 0..<B {
            for o in 0..<O {
                if relu && !(y[b * O + o] > 0) { dy[b * O + o] = 0 }
                dBias[o] += dy[b * O + o]
            }
        }
    }
}

@inline(__always)
private func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always)
private func load16(_ p: UnsafeMutablePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always)
private func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}

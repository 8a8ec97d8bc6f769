import Foundation
import Model
import OneDNN
import Tensors

/// One layer's forward GEMM (y = x W^T, [B x I] by [O x I]^T) through
/// OpenBLAS fp32, oneDNN fp32 and oneDNN bf16 (inputs narrowed to bf16 each
/// call, f32 accumulation), side by side.
struct GemmPrecisionRow: Codable {
    var layer: String
    var m: Int, k: Int, n: Int
    var openblasFp32: Spread
    var onednnFp32: Spread?
    var onednnBf16: Spread?
    /// oneDNN's implementation names (fp32, bf16), or why it has none.
    var onednnFp32Implementation: String
    var onednnBf16Implementation: String
    /// max |bf16 - fp32| / max |fp32| over the output (nil: no bf16 run).
    var bf16RelativeError: Double?
}

enum GemmPrecisionBenchmark {
    static func rows(mlps: [(String, [Int])], batches: [Int], reps: Int, warmup: Int) -> [GemmPrecisionRow] {
        var out: [GemmPrecisionRow] = []
        for batch in batches {
            for (name, widths) in mlps {
                for l in 0..<(widths.count - 1) {
                    out.append(measure("\(name).\(l)", m: batch, k: widths[l], n: widths[l + 1], reps: reps, warmup: warmup))
                }
            }
        }
        return out
    }

    static func measure(_ layer: String, m: Int, k: Int, n: Int, reps: Int, warmup: Int) -> GemmPrecisionRow {
        let x = FlatBuffer<Float>(count: m * k), w = FlatBuffer<Float>(count: n * k)
        let yBLAS = FlatBuffer<Float>(count: m * n), yF = FlatBuffer<Float>(count: m * n), yB = FlatBuffer<Float>(count: m * n)
        for i in 0..<x.count { x[i] = StrataRNG.uniform(seed: 5, stream: 0, index: UInt64(i)) - 0.5 }
        for i in 0..<w.count { w[i] = StrataRNG.uniform(seed: 5, stream: 1, index: UInt64(i)) - 0.5 }
        let flops = 2.0 * Double(m * k * n)
        func time(_ body: () -> Void) -> Spread {
            var g: [Double] = []
            for i in 0..<(warmup + reps) {
                let t0 = Date.timeIntervalSinceReferenceDate
                body()
                if i >= warmup { g.append(flops / (Date.timeIntervalSinceReferenceDate - t0) / 1e9) }
            }
            return Spread(g)
        }
        let blas = time {
            BLAS.gemm(transB: true, m: m, n: n, k: k, a: x.pointer, lda: k, b: w.pointer, ldb: k, beta: 0, c: yBLAS.pointer, ldc: n)
        }
        var row = GemmPrecisionRow(layer: layer, m: m, k: k, n: n, openblasFp32: blas, onednnFp32: nil, onednnBf16: nil,
                                   onednnFp32Implementation: "", onednnBf16Implementation: "", bf16RelativeError: nil)
        do {
            let f = try OneDNNMatmul(m: m, k: k, n: n, transposeB: true, precision: .fp32)
            row.onednnFp32Implementation = f.implementation
            row.onednnFp32 = time { f.run(a: x.pointer, b: w.pointer, c: yF.pointer) }
        } catch { row.onednnFp32Implementation = "none: \(error)" }
        do {
            let b = try OneDNNMatmul(m: m, k: k, n: n, transposeB: true, precision: .bf16)
            row.onednnBf16Implementation = b.implementation
            row.onednnBf16 = time { b.run(a: x.pointer, b: w.pointer, c: yB.pointer) }
            var worst: Float = 0, scale: Float = 0
            for i in 0..<yB.count { worst = max(worst, abs(yB[i] - yBLAS[i])); scale = max(scale, abs(yBLAS[i])) }
            row.bf16RelativeError = Double(worst / max(scale, 1e-30))
        } catch { row.onednnBf16Implementation = "none: \(error)" }
        return row
    }

    static func table(_ rows: [GemmPrecisionRow]) -> String {
        "oneDNN \(OneDNN.isa); native bf16: \(OneDNN.hasNativeBF16 ? "yes" : "no (AVX-512 BF16 absent: bf16 is emulated or not offered)")\n"
            + BenchFormat.table(
                ["layer", "M x K x N", "OpenBLAS fp32", "oneDNN fp32", "oneDNN bf16", "bf16 rel. error", "oneDNN fp32 / bf16 impl."],
                rows.map { r in
                    [r.layer, "\(r.m)x\(r.k)x\(r.n)", r.openblasFp32.text(1), r.onednnFp32?.text(1) ?? "-", r.onednnBf16?.text(1) ?? "-",
                     r.bf16RelativeError.map { String(format: "%.1e", $0) } ?? "-",
                     "\(r.onednnFp32Implementation) / \(r.onednnBf16Implementation)"]
                })
    }
}

import Foundation
import Model
import OneDNN
import Tensors

struct GemmBenchRow: Codable {
    var name: String
    var shape: String
    var batch: Int
    var gflopPerCall: Double
    var denseGflops: Spread
    var rawGflops: Spread
    /// median dense / median raw
    var ratio: Double
}

struct GemmBenchReport: Codable {
    var machine: BenchMachine
    var reps: Int
    var warmup: Int
    var rows: [GemmBenchRow]
    /// Each layer's forward GEMM through OpenBLAS fp32, oneDNN fp32 and oneDNN bf16.
    var precisions: [GemmPrecisionRow]
}

/// One MLP's buffers at one batch size, for both paths.
public final class GemmBenchmark {
    /// `strata bench gemm`: per batch, each MLP whole and layer by layer,
    /// Strata's dense path against bare GEMMs.
    public static func run(bottom: [Int], top: [Int], batches: [Int], settings: BenchSettings) throws {
        BLAS.setThreads(settings.blasThreads)
        let mlps: [(String, [Int], Bool)] = [("bottom", bottom, false), ("top", top, true)]
        let (reps, warmup) = (settings.reps, settings.warmup)
        var rows: [GemmBenchRow] = []
        for batch in batches {
            for (name, widths, needsDx) in mlps {
                let bench = GemmBenchmark(widths: widths, batch: batch, inputGradient: needsDx)
                rows.append(bench.measureMLP(name: name, reps: reps, warmup: warmup))
                for l in 0..<(widths.count - 1) {
                    rows.append(bench.measureLayer(l, name: "\(name).\(l)", reps: reps, warmup: warmup))
                }
            }
        }
        // oneDNN runs on OpenMP: one thread per rank unless asked otherwise, as OpenBLAS.
        OneDNN.limitThreads(settings.blasThreads)
        let precisions = GemmPrecisionBenchmark.rows(mlps: mlps.map { ($0.0, $0.1) }, batches: batches, reps: reps, warmup: warmup)
        let report = GemmBenchReport(machine: .current(blasThreads: BLAS.threads), reps: reps, warmup: warmup, rows: rows,
                                     precisions: precisions)
        try settings.emit(report) { table(rows) + "\n\nForward GEMMs by number format (GFLOP/s, min-max)\n" + GemmPrecisionBenchmark.table(precisions) }
    }

    let widths: [Int]
    let batch: Int
    let inputGradient: Bool
    let params: FlatBuffer<Float>
    let grads: FlatBuffer<Float>
    let mlp: MLP
    let x: FlatBuffer<Float>        // [B x widths[0]]
    let dOut: FlatBuffer<Float>     // [B x widths.last]
    let dx: FlatBuffer<Float>       // [B x widths[0]]
    // The raw path's own activations: y[l], dy[l] [B x widths[l+1]].
    let ys: [FlatBuffer<Float>]
    let dys: [FlatBuffer<Float>]

    init(widths: [Int], batch: Int, inputGradient: Bool) {
        self.widths = widths
        self.batch = batch
        self.inputGradient = inputGradient
        let n = MLP.parameterCount(input: widths[0], widths: Array(widths.dropFirst()))
        params = FlatBuffer(count: n)
        grads = FlatBuffer(count: n)
        mlp = MLP(input: widths[0], widths: Array(widths.dropFirst()), lastActivation: .relu, maxBatch: batch,
                  params: params.pointer, grads: grads.pointer)
        mlp.initialize(seed: 7, firstLayer: 0)
        x = FlatBuffer(count: batch * widths[0])
        dOut = FlatBuffer(count: batch * widths[widths.count - 1])
        dx = FlatBuffer(count: batch * widths[0])
        for i in 0..<x.count { x[i] = StrataRNG.uniform(seed: 3, stream: 0, index: UInt64(i)) }
        for i in 0..<dOut.count { dOut[i] = StrataRNG.uniform(seed: 3, stream: 1, index: UInt64(i)) - 0.5 }
        ys = widths.dropFirst().map { FlatBuffer(count: batch * $0) }
        dys = widths.dropFirst().map { FlatBuffer(count: batch * $0) }
    }

    /// GEMM FLOPs of layer l: forward, dW, and dx unless it is the first layer without an input gradient.
    func flops(layer l: Int) -> Double {
        let p = 2.0 * Double(batch * widths[l] * widths[l + 1])
        return (l == 0 && !inputGradient) ? 2 * p : 3 * p
    }

    /// The bare GEMMs of layer l, on the raw path's own buffers.
    func rawLayer(_ l: Int) {
        let B = batch, I = widths[l], O = widths[l + 1]
        let layer = mlp.layers[l]
        let input = l == 0 ? UnsafePointer(x.pointer) : UnsafePointer(ys[l - 1].pointer)
        BLAS.gemm(transB: true, m: B, n: O, k: I, a: input, lda: I, b: layer.weight, ldb: I, beta: 1, c: ys[l].pointer, ldc: O)
        BLAS.gemm(transA: true, m: O, n: I, k: B, a: dys[l].pointer, lda: O, b: input, ldb: I, beta: 1, c: layer.dWeight, ldc: I)
        if l > 0 || inputGradient {
            let out = l == 0 ? dx.pointer : dys[l - 1].pointer
            BLAS.gemm(m: B, n: I, k: O, a: dys[l].pointer, lda: O, b: layer.weight, ldb: I, beta: 0, c: out, ldc: I)
        }
    }

    func denseMLP() {
        mlp.forward(x.pointer, batch: batch)
        mlp.backward(dOut.pointer, dx: inputGradient ? dx.pointer : nil)
    }

    func denseLayer(_ l: Int) {
        let layer = mlp.layers[l]
        let input = l == 0 ? UnsafePointer(x.pointer) : UnsafePointer(ys[l - 1].pointer)
        layer.forward(x: input, y: ys[l].pointer, batch: batch, relu: true)
        let out: UnsafeMutablePointer<Float>? = (l > 0 || inputGradient) ? (l == 0 ? dx.pointer : dys[l - 1].pointer) : nil
        layer.backward(x: input, y: ys[l].pointer, dy: dys[l].pointer, dx: out, batch: batch, relu: true)
    }

    /// Times `dense` and `raw` alternately (order flipped each repetition).
    static func compare(reps: Int, warmup: Int, flops: Double, dense: () -> Void, raw: () -> Void) -> (Spread, Spread) {
        var d: [Double] = [], r: [Double] = []
        for i in 0..<(warmup + reps) {
            var td = 0.0, tr = 0.0
            for first in [i % 2 == 0, i % 2 != 0] {
                let t0 = Date.timeIntervalSinceReferenceDate
                if first { dense() } else { raw() }
                let dt = Date.timeIntervalSinceReferenceDate - t0
                if first { td = dt } else { tr = dt }
            }
            if i >= warmup { d.append(flops / td / 1e9); r.append(flops / tr / 1e9) }
        }
        return (Spread(d), Spread(r))
    }

    func measureMLP(name: String, reps: Int, warmup: Int) -> GemmBenchRow {
        let f = (0..<(widths.count - 1)).map { flops(layer: $0) }.reduce(0, +)
        let (d, r) = Self.compare(reps: reps, warmup: warmup, flops: f, dense: denseMLP) {
            for l in 0..<(self.widths.count - 1) { self.rawLayer(l) }
        }
        return GemmBenchRow(name: name, shape: widths.map(String.init).joined(separator: "-"), batch: batch,
                            gflopPerCall: f / 1e9, denseGflops: d, rawGflops: r, ratio: d.median / r.median)
    }

    func measureLayer(_ l: Int, name: String, reps: Int, warmup: Int) -> GemmBenchRow {
        let f = flops(layer: l)
        let (d, r) = Self.compare(reps: reps, warmup: warmup, flops: f, dense: { denseLayer(l) }, raw: { rawLayer(l) })
        return GemmBenchRow(name: name, shape: "\(widths[l])x\(widths[l + 1])", batch: batch,
                            gflopPerCall: f / 1e9, denseGflops: d, rawGflops: r, ratio: d.median / r.median)
    }

    static func table(_ rows: [GemmBenchRow]) -> String {
        BenchFormat.table(
            ["gemm", "shape", "batch", "GFLOP/call", "dense GFLOP/s (min-max)", "raw GFLOP/s (min-max)", "dense/raw"],
            rows.map { r in
                [r.name, r.shape, "\(r.batch)", BenchFormat.fixed(r.gflopPerCall, 4), r.denseGflops.text(1),
                 r.rawGflops.text(1), BenchFormat.fixed(r.ratio * 100, 0) + " %"]
            })
    }
}
